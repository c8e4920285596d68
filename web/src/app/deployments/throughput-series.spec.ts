import type { DeploymentEventDto } from '@rpi-deploy/contracts';
import { throughputSeries } from './throughput-series';

const START = '2026-11-26T10:00:00.000Z';
const event = (
  seconds: number,
  status: DeploymentEventDto['status'],
  bytesDone: number | null,
): DeploymentEventDto => ({
  id: seconds + 1,
  kind: 'status',
  at: new Date(Date.parse(START) + seconds * 1000).toISOString(),
  status,
  progress: null,
  bytesDone,
  bytesTotal: null,
  message: null,
  error: null,
});

describe('throughputSeries', () => {
  it('gives MB/s between reports of the same phase, at seconds since start', () => {
    const series = throughputSeries(
      [
        event(0, 'starting', null),
        event(2, 'downloading', 0),
        event(4, 'downloading', 50e6),
        event(5, 'downloading', 90e6),
        event(6, 'verifying', 0),
        event(8, 'verifying', 200e6),
      ],
      START,
    );

    expect(series).toEqual({
      downloading: [
        { x: 4, y: 25 },
        { x: 5, y: 40 },
      ],
      verifying: [{ x: 8, y: 100 }],
    });
  });

  it('skips pairs across phases, without bytes, at the same instant, or going backwards', () => {
    const series = throughputSeries(
      [
        event(1, 'downloading', 10),
        event(1, 'downloading', 20),
        event(3, 'downloading', 5),
        event(4, 'customizing', null),
      ],
      START,
    );

    expect(series).toEqual({});
  });

  it('orders events by time first', () => {
    const series = throughputSeries([event(4, 'downloading', 20e6), event(2, 'downloading', 0)], START);

    expect(series.downloading).toEqual([{ x: 4, y: 10 }]);
  });
});

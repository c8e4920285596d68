import type { TrafficSample } from '@rpi-deploy/contracts';
import { addSample, trafficSeries } from './traffic';

const T0 = new Date(2026, 11, 6, 14, 0, 0).getTime();
const sample = (second: number, serverBytes: number, peerBytes: number): TrafficSample => ({
  at: new Date(T0 + second * 1000).toISOString(),
  seconds: 5,
  serverBytes,
  peerBytes,
});

describe('trafficSeries', () => {
  it('turns each interval into MB/s from the server, from peers and in all, and sums the bytes', () => {
    const series = trafficSeries([sample(5, 50e6, 0), sample(10, 20e6, 30e6)]);
    expect(series).toEqual({
      labels: ['14:00:05', '14:00:10'],
      serverMBps: [10, 4],
      peerMBps: [0, 6],
      totalMBps: [10, 10],
      serverBytes: 70e6,
      peerBytes: 30e6,
    });
  });

  it('counts an interval of no length as no rate', () => {
    expect(trafficSeries([{ ...sample(0, 100, 100), seconds: 0 }]).totalMBps).toEqual([0]);
  });
});

describe('addSample', () => {
  it('appends in time order, once per instant, and keeps the latest 360', () => {
    const history = Array.from({ length: 360 }, (_, i) => sample(i * 5, i, 0));
    const next = addSample(history, sample(360 * 5, 1, 1));
    expect(next).toHaveLength(360);
    expect(next.at(-1)).toEqual(sample(360 * 5, 1, 1));
    expect(next[0]).toEqual(sample(5, 1, 0));
    expect(addSample(next, sample(360 * 5, 9, 9))).toEqual(next);
  });
});

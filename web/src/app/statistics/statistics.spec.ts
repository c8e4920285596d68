import type { DeploymentDto } from '@rpi-deploy/contracts';
import { deploymentsPerDay, histogram, localDay, successDurationsMinutes, successThroughputsMBps } from './statistics';

const NOW = new Date(2026, 10, 26, 15, 0).getTime();
const daysAgo = (days: number, hour = 10) => new Date(2026, 10, 26 - days, hour).toISOString();

function deployment(overrides: Partial<DeploymentDto>): DeploymentDto {
  return {
    status: 'success',
    startedAt: daysAgo(0),
    finishedAt: null,
    bytesTotal: null,
    ...overrides,
  } as DeploymentDto;
}

describe('deploymentsPerDay', () => {
  it('counts each local day by outcome, oldest day first, today last', () => {
    const result = deploymentsPerDay(
      [
        deployment({ status: 'success', startedAt: daysAgo(0) }),
        deployment({ status: 'failed', startedAt: daysAgo(0) }),
        deployment({ status: 'downloading', startedAt: daysAgo(0) }),
        deployment({ status: 'success', startedAt: daysAgo(2) }),
        deployment({ status: 'success', startedAt: daysAgo(9) }),
      ],
      3,
      NOW,
    );

    expect(result).toEqual({
      days: ['2026-11-24', '2026-11-25', '2026-11-26'],
      success: [1, 0, 1],
      failed: [0, 0, 1],
      inProgress: [0, 0, 1],
    });
  });
});

describe('localDay', () => {
  it('uses the local calendar day', () => {
    expect(localDay(new Date(2026, 0, 5, 23, 59).getTime())).toBe('2026-01-05');
  });
});

describe('histogram', () => {
  it('puts values into open-ended buckets', () => {
    expect(histogram([0.5, 1, 4.9, 5, 12, 99], [1, 5, 10], 'min')).toEqual({
      labels: ['< 1 min', '1–5 min', '5–10 min', '≥ 10 min'],
      counts: [1, 2, 1, 2],
    });
  });
});

describe('success durations and throughputs', () => {
  const finished = [
    deployment({ startedAt: '2026-11-26T10:00:00Z', finishedAt: '2026-11-26T10:02:00Z', bytesTotal: 600e6 }),
    deployment({ startedAt: '2026-11-26T10:00:00Z', finishedAt: '2026-11-26T10:05:00Z', bytesTotal: null }),
    deployment({ status: 'failed', startedAt: '2026-11-26T10:00:00Z', finishedAt: '2026-11-26T10:01:00Z' }),
  ];

  it('takes only successful deployments', () => {
    expect(successDurationsMinutes(finished)).toEqual([2, 5]);
  });

  it('divides the image bytes by the duration, skipping unknown sizes', () => {
    expect(successThroughputsMBps(finished)).toEqual([5]);
  });
});

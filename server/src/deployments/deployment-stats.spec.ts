import type { DeploymentStatus } from '@rpi-deploy/contracts';
import { computeStats, median, type StatsRow } from './deployment-stats';

const now = new Date('2026-11-25T15:00:00Z');
const row = (
  status: DeploymentStatus,
  started: string,
  seconds: number | null,
  venue = 'CORO',
  product = 'KXP2',
  bytes: number | null = 1_000_000,
): StatsRow => ({
  status,
  venue,
  product,
  startedAt: new Date(started),
  finishedAt: seconds === null ? null : new Date(new Date(started).getTime() + seconds * 1000),
  bytesTotal: bytes,
});

describe('computeStats', () => {
  const rows = [
    row('success', '2026-11-25T10:00:00Z', 100), // today
    row('failed', '2026-11-25T00:00:00Z', 50), // today, at midnight UTC
    row('downloading', '2026-11-25T14:59:00Z', null, 'RACE', 'RXP2'), // today, running
    row('success', '2026-11-24T23:59:59Z', 300, 'RACE', 'RXP2', 6_000_000), // yesterday
    row('success', '2026-11-19T01:00:00Z', 200), // 7th day back (inside 7 days)
    row('failed', '2026-11-18T23:00:00Z', 10), // 8th day back (outside 7 days)
    row('success', '2026-10-27T00:00:00Z', 400), // 30th day back (inside 30 days)
    row('success', '2026-10-26T23:59:00Z', 999), // outside 30 days
  ];
  const stats = computeStats(rows, now);

  it('counts today, 7 days and 30 days by outcome, in UTC days', () => {
    expect(stats.today).toEqual({ total: 3, success: 1, failed: 1, inProgress: 1 });
    expect(stats.last7Days).toEqual({ total: 5, success: 3, failed: 1, inProgress: 1 });
    expect(stats.last30Days).toEqual({ total: 7, success: 4, failed: 2, inProgress: 1 });
  });

  it('computes the success rate over finished deployments', () => {
    expect(stats.successRate).toBeCloseTo(4 / 6);
  });

  it('takes medians of successful deployments only', () => {
    expect(stats.medianDurationSeconds).toBe(250); // 100, 200, 300, 400
    // 10000, 20000 (6e6/300), 5000, 2500 bytes/s -> median of 2500, 5000, 10000, 20000
    expect(stats.medianThroughputBps).toBe(7500);
  });

  it('breaks the 30 days down per venue and per product', () => {
    expect(stats.perVenue).toEqual([
      { venue: 'CORO', total: 5, success: 3, failed: 2, inProgress: 0 },
      { venue: 'RACE', total: 2, success: 1, failed: 0, inProgress: 1 },
    ]);
    expect(stats.perProduct.map((p) => [p.product, p.total])).toEqual([
      ['KXP2', 5],
      ['RXP2', 2],
    ]);
  });

  it('has no rates or medians without data', () => {
    expect(computeStats([], now)).toMatchObject({
      successRate: null,
      medianDurationSeconds: null,
      medianThroughputBps: null,
    });
  });
});

describe('median', () => {
  it.each([
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
  ])('of %j is %d', (values, expected) => expect(median(values)).toBe(expected));
});

describe('computeStats: first boots', () => {
  const success = (bootState: StatsRow['bootState'], secondsToBoot: number | null = null): StatsRow => {
    const finishedAt = new Date('2026-11-25T10:01:40Z');
    return {
      ...row('success', '2026-11-25T10:00:00Z', 100),
      bootState,
      bootedAt: secondsToBoot === null ? null : new Date(finishedAt.getTime() + secondsToBoot * 1000),
    };
  };

  it('rates booted against booted and unconfirmed; waiting and untracked ones count neither way', () => {
    const stats = computeStats(
      [
        success('booted', 40),
        success('booted', 90),
        success('booted', 60),
        success('unconfirmed'),
        success('waiting'),
        success(null),
      ],
      now,
    );
    expect(stats.bootConfirmationRate).toBe(3 / 4);
    expect(stats.medianSecondsToBoot).toBe(60);
  });

  it('has no rate and no median before any unit decided', () => {
    const stats = computeStats([success('waiting'), row('failed', '2026-11-25T10:00:00Z', 5)], now);
    expect(stats.bootConfirmationRate).toBeNull();
    expect(stats.medianSecondsToBoot).toBeNull();
  });
});

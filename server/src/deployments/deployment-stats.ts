import type { BootState, DeploymentStats, DeploymentStatus, OutcomeCounts } from '@rpi-deploy/contracts';

/** The few fields statistics need, for each deployment of the last 30 days. */
export interface StatsRow {
  status: DeploymentStatus;
  venue: string;
  product: string;
  startedAt: Date;
  finishedAt: Date | null;
  bytesTotal: number | null;
  /** Absent or null: no boot confirmation to wait for (not a success, or an install older than it). */
  bootState?: BootState | null;
  bootedAt?: Date | null;
}

const DAY_MS = 86_400_000;

/** Counts, rates and medians over the rows (pure: the arithmetic is unit-tested). */
export function computeStats(rows: StatsRow[], now: Date): DeploymentStats {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const since = (days: number) => rows.filter((row) => row.startedAt.getTime() >= today - (days - 1) * DAY_MS);
  const last30 = since(30);
  const finished = last30.filter((row) => row.status === 'success' || row.status === 'failed');
  const successes = last30.filter((row) => row.status === 'success' && row.finishedAt);
  const durations = successes.map((row) => (row.finishedAt!.getTime() - row.startedAt.getTime()) / 1000);
  const throughputs = successes
    .filter((row) => row.bytesTotal && row.finishedAt!.getTime() > row.startedAt.getTime())
    .map((row) => row.bytesTotal! / ((row.finishedAt!.getTime() - row.startedAt.getTime()) / 1000));
  const booted = successes.filter((row) => row.bootState === 'booted' && row.bootedAt);
  const unconfirmed = successes.filter((row) => row.bootState === 'unconfirmed');
  // Deployments still waiting have not decided yet: they count neither way.
  const decided = booted.length + unconfirmed.length;
  return {
    today: counts(since(1)),
    last7Days: counts(since(7)),
    last30Days: counts(last30),
    successRate: finished.length ? successes.length / finished.length : null,
    medianDurationSeconds: median(durations),
    medianThroughputBps: median(throughputs),
    bootConfirmationRate: decided ? booted.length / decided : null,
    medianSecondsToBoot: median(
      booted.map((row) => Math.max(0, (row.bootedAt!.getTime() - row.finishedAt!.getTime()) / 1000)),
    ),
    perVenue: groupCounts(last30, (row) => row.venue).map(([venue, c]) => ({ venue, ...c })),
    perProduct: groupCounts(last30, (row) => row.product).map(([product, c]) => ({ product, ...c })),
  };
}

function counts(rows: StatsRow[]): OutcomeCounts {
  const success = rows.filter((row) => row.status === 'success').length;
  const failed = rows.filter((row) => row.status === 'failed').length;
  return { total: rows.length, success, failed, inProgress: rows.length - success - failed };
}

function groupCounts(rows: StatsRow[], key: (row: StatsRow) => string): Array<[string, OutcomeCounts]> {
  const groups = new Map<string, StatsRow[]>();
  for (const row of rows) {
    const name = key(row);
    const group = groups.get(name);
    if (group) group.push(row);
    else groups.set(name, [row]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, group]) => [name, counts(group)]);
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

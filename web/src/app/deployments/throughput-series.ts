import type { DeploymentEventDto, DeploymentStatus } from '@rpi-deploy/contracts';

export interface ThroughputPoint {
  /** Seconds since the deployment started. */
  x: number;
  /** Megabytes (10^6 bytes) per second. */
  y: number;
}

/**
 * MB/s over time, per phase, from the stored status events: the bytes between two reports of the
 * same phase over the time between them. Phases without byte counts have no points.
 */
export function throughputSeries(
  events: readonly DeploymentEventDto[],
  startedAt: string,
): Partial<Record<DeploymentStatus, ThroughputPoint[]>> {
  const start = Date.parse(startedAt);
  const series: Partial<Record<DeploymentStatus, ThroughputPoint[]>> = {};
  // An impersonation entry carries no bytes: it must not split two reports of a phase.
  const ordered = events.filter((event) => event.kind === 'status').sort((a, b) => a.at.localeCompare(b.at));
  for (let index = 1; index < ordered.length; index++) {
    const [before, after] = [ordered[index - 1], ordered[index]];
    if (before.status !== after.status || before.bytesDone === null || after.bytesDone === null) continue;
    const seconds = (Date.parse(after.at) - Date.parse(before.at)) / 1000;
    const bytes = after.bytesDone - before.bytesDone;
    if (!(seconds > 0) || bytes < 0) continue;
    (series[after.status] ??= []).push({
      x: Math.round((Date.parse(after.at) - start) / 100) / 10,
      y: Math.round(bytes / seconds / 1e4) / 100,
    });
  }
  return series;
}

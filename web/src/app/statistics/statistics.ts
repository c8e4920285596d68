import type { DeploymentDto } from '@rpi-deploy/contracts';
import { durationSeconds } from '../deployments/deployment-duration';

export interface DailyOutcomes {
  /** Local days, oldest first, as yyyy-mm-dd. */
  days: string[];
  success: number[];
  failed: number[];
  inProgress: number[];
}

/** yyyy-mm-dd of the local day `time` falls in. */
export function localDay(time: number): string {
  const date = new Date(time);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Deployments started on each of the last `dayCount` local days (today included), by outcome. */
export function deploymentsPerDay(deployments: readonly DeploymentDto[], dayCount: number, now: number): DailyOutcomes {
  const today = new Date(now);
  const days = Array.from({ length: dayCount }, (_, index) =>
    localDay(new Date(today.getFullYear(), today.getMonth(), today.getDate() - (dayCount - 1 - index)).getTime()),
  );
  const position = new Map(days.map((day, index) => [day, index]));
  const result: DailyOutcomes = {
    days,
    success: days.map(() => 0),
    failed: days.map(() => 0),
    inProgress: days.map(() => 0),
  };
  for (const deployment of deployments) {
    const index = position.get(localDay(Date.parse(deployment.startedAt)));
    if (index === undefined) continue;
    const outcome =
      deployment.status === 'success' || deployment.status === 'failed' ? deployment.status : 'inProgress';
    result[outcome][index] += 1;
  }
  return result;
}

export interface Histogram {
  labels: string[];
  counts: number[];
}

/**
 * Counts values into buckets bounded by ascending `edges`: below the first edge, between each
 * pair, and from the last edge up. `unit` names the values in the labels.
 */
export function histogram(values: readonly number[], edges: readonly number[], unit: string): Histogram {
  const labels = [
    `< ${edges[0]} ${unit}`,
    ...edges.slice(1).map((edge, index) => `${edges[index]}–${edge} ${unit}`),
    `≥ ${edges[edges.length - 1]} ${unit}`,
  ];
  const counts = labels.map(() => 0);
  for (const value of values) {
    const bucket = edges.findIndex((edge) => value < edge);
    counts[bucket === -1 ? edges.length : bucket] += 1;
  }
  return { labels, counts };
}

/** Minutes from start to finish of the successful deployments. */
export function successDurationsMinutes(deployments: readonly DeploymentDto[]): number[] {
  return successful(deployments).map(({ seconds }) => seconds / 60);
}

/** Image MB per second (start to finish) of the successful deployments that reported their size. */
export function successThroughputsMBps(deployments: readonly DeploymentDto[]): number[] {
  return successful(deployments)
    .filter(({ deployment }) => deployment.bytesTotal !== null && deployment.bytesTotal > 0)
    .map(({ deployment, seconds }) => deployment.bytesTotal! / 1e6 / seconds);
}

function successful(deployments: readonly DeploymentDto[]): Array<{ deployment: DeploymentDto; seconds: number }> {
  return deployments.flatMap((deployment) => {
    const seconds = deployment.status === 'success' ? durationSeconds(deployment) : null;
    return seconds !== null && seconds > 0 ? [{ deployment, seconds }] : [];
  });
}

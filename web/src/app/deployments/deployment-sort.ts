import type { DeploymentDto } from '@rpi-deploy/contracts';

export type DeploymentSortKey = 'hostname' | 'status' | 'venue' | 'product' | 'startedAt' | 'duration';
export type SortDirection = 'asc' | 'desc' | '';

/** Seconds from start to finish, or null while it runs. */
export function durationSeconds(deployment: DeploymentDto): number | null {
  return deployment.finishedAt ? (Date.parse(deployment.finishedAt) - Date.parse(deployment.startedAt)) / 1000 : null;
}

/** A sorted copy; without a direction the server's order (newest first) is kept. Unknown durations sort last. */
export function sortDeployments(
  items: readonly DeploymentDto[],
  key: DeploymentSortKey | '',
  direction: SortDirection,
): DeploymentDto[] {
  if (!key || !direction) return [...items];
  const sign = direction === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => {
    if (key === 'duration') {
      const [x, y] = [durationSeconds(a), durationSeconds(b)];
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      return sign * (x - y);
    }
    return sign * String(a[key]).localeCompare(String(b[key]));
  });
}

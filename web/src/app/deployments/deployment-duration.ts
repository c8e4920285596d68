import type { DeploymentDto } from '@rpi-deploy/contracts';

/** Seconds from start to finish, or null while it runs. */
export function durationSeconds(deployment: DeploymentDto): number | null {
  return deployment.finishedAt ? (Date.parse(deployment.finishedAt) - Date.parse(deployment.startedAt)) / 1000 : null;
}

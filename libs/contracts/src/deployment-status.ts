/** Phases an installer reports, in order; `success` and `failed` are terminal. */
export const DEPLOYMENT_STATUSES = [
  'starting',
  'downloading',
  'verifying',
  'customizing',
  'success',
  'failed',
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const TERMINAL_DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = ['success', 'failed'];

/**
 * Whether an installer may report `next` while the deployment is `current`: phases only move
 * forward (repeating one carries progress), `failed` may come at any time, and nothing follows
 * `success` or `failed`.
 */
export function isAllowedTransition(current: DeploymentStatus, next: DeploymentStatus): boolean {
  if (TERMINAL_DEPLOYMENT_STATUSES.includes(current)) return false;
  if (next === 'failed') return true;
  return DEPLOYMENT_STATUSES.indexOf(next) >= DEPLOYMENT_STATUSES.indexOf(current);
}

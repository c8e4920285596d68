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

/** The phases a running deployment passes through, in order (every install reports each one). */
const PHASES: readonly DeploymentStatus[] = DEPLOYMENT_STATUSES.filter((status) => status !== 'failed');

/**
 * What an installer may report next while the deployment is `current`: the same phase again
 * (it carries progress), the phase right after it, or `failed`. No phase may be skipped, so a
 * unit reaches `success` only through `verifying` and `customizing`; nothing follows `success`
 * or `failed`.
 */
export function allowedNextStatuses(current: DeploymentStatus): DeploymentStatus[] {
  if (TERMINAL_DEPLOYMENT_STATUSES.includes(current)) return [];
  const next = PHASES[PHASES.indexOf(current) + 1];
  return [current, next, 'failed'];
}

/** Whether an installer may report `next` while the deployment is `current` (see allowedNextStatuses). */
export function isAllowedTransition(current: DeploymentStatus, next: DeploymentStatus): boolean {
  return allowedNextStatuses(current).includes(next);
}

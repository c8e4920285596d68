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

export function isDeploymentStatus(value: unknown): value is DeploymentStatus {
  return typeof value === 'string' && (DEPLOYMENT_STATUSES as readonly string[]).includes(value);
}

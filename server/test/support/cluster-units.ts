import type { ConfigResponse, DeploymentDetailDto, DeploymentStatus } from '@rpi-deploy/contracts';
import { api } from './test-server';

/** A Pi-like identity derived from n: 16 hex digits of serial and a locally administered MAC. */
export function unitIdentity(n: number): { serial: string; mac: string } {
  const hex = n.toString(16).padStart(8, '0');
  return { serial: `40000000${hex}`, mac: `02:21:00:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}` };
}

/** `POST /api/config` for unit n on one instance's deployment listener. */
export function configure(deployment: string, n: number, venue: string) {
  return api(deployment, '/api/config', { method: 'POST', body: { ...unitIdentity(n), product: 'KXP2', venue } });
}

/** `POST /api/status` as the unit holding `config`'s token sends it. */
export function report(
  deployment: string,
  config: ConfigResponse,
  status: DeploymentStatus,
  progress?: number,
): Promise<{ status: number; body: any }> {
  return api(deployment, '/api/status', {
    method: 'POST',
    body: { deploymentId: config.deploymentId, status, ...(progress === undefined ? {} : { progress }) },
    headers: { authorization: `Bearer ${config.statusToken}` },
  });
}

/** One deployment with its timeline (the latest 200 events, oldest first). */
export async function detail(management: string, token: string, id: string): Promise<DeploymentDetailDto> {
  const answer = await api(management, `/api/deployments/${id}`, { token });
  if (answer.status !== 200)
    throw new Error(`GET /api/deployments/${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as DeploymentDetailDto;
}

import type { IncomingMessage } from 'node:http';
import type { ListenerName } from '@rpi-deploy/contracts';

/** Requests that arrived on the deployment listener; everything else came in on management. */
const deploymentRequests = new WeakSet<IncomingMessage>();

export function markDeploymentRequest(request: IncomingMessage): void {
  deploymentRequests.add(request);
}

export function listenerOf(request: IncomingMessage): ListenerName {
  return deploymentRequests.has(request) ? 'deployment' : 'management';
}

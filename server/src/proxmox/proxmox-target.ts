import { readFile } from 'node:fs/promises';
import type { ProxmoxSettings } from '../config/app-config';
import type { ProxmoxConnection } from './client/proxmox-connection';

/** This server's own VM: where it is and how to reach Proxmox. */
export interface ProxmoxTarget {
  connection: ProxmoxConnection;
  node: string;
  vmid: number;
}

/** Why the target cannot be built; the message says what to set. */
export class ProxmoxNotConfiguredError extends Error {}

/**
 * Builds the connection from the PROXMOX_* settings, reading the secret and CA files on each
 * use (a rotated token needs no restart). Throws ProxmoxNotConfiguredError naming what is missing.
 */
export async function resolveProxmoxTarget(settings: ProxmoxSettings): Promise<ProxmoxTarget> {
  const missing: string[] = [];
  if (!settings.url) missing.push('PROXMOX_URL');
  if (!settings.node) missing.push('PROXMOX_NODE');
  if (settings.vmid === undefined) missing.push('PROXMOX_VMID');
  if (!settings.tokenId) missing.push('PROXMOX_TOKEN_ID');
  if (!settings.tokenSecret && !settings.tokenSecretFile)
    missing.push('PROXMOX_TOKEN_SECRET (or PROXMOX_TOKEN_SECRET_FILE)');
  if (missing.length > 0 || !settings.url || !settings.node || settings.vmid === undefined || !settings.tokenId) {
    throw new ProxmoxNotConfiguredError(
      `Proxmox is not configured: set ${missing.join(', ')} in the server's environment and restart it ` +
        '(an API token USER@REALM!TOKENID with VM.Audit, VM.Snapshot and VM.Snapshot.Rollback on /vms/<VMID>).',
    );
  }
  const secret = settings.tokenSecret ?? (await readSetting(settings.tokenSecretFile!, 'PROXMOX_TOKEN_SECRET_FILE'));
  const ca = settings.caFile ? await readSetting(settings.caFile, 'PROXMOX_CA_FILE') : undefined;
  return {
    connection: {
      url: settings.url,
      credentials: { kind: 'token', tokenId: settings.tokenId, secret },
      ca,
      insecure: settings.insecure,
      timeoutMs: 15_000,
    },
    node: settings.node,
    vmid: settings.vmid,
  };
}

async function readSetting(path: string, name: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    throw new ProxmoxNotConfiguredError(
      `Cannot read ${name} (${path}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. ` +
        'Check the path and that the server user may read it.',
    );
  }
}

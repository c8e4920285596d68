import {
  PROXMOX_VM_STATES,
  type ProxmoxNetworkAddress,
  type ProxmoxSnapshotDto,
  type ProxmoxVmState,
  type ProxmoxVmStatusDto,
} from '@rpi-deploy/contracts';
import type { ProxmoxApi } from '../client/proxmox-api';
import { ProxmoxError } from '../client/proxmox-errors';

/**
 * State, uptime, size and the addresses the guest agent reports. An agent that is not running
 * (yet) is normal right after boot: the status then simply has no addresses.
 */
export async function vmStatus(api: ProxmoxApi, vmid: number): Promise<ProxmoxVmStatusDto> {
  const [current, config] = await Promise.all([api.currentStatus(vmid), api.vmConfig(vmid)]);
  const state = (PROXMOX_VM_STATES as readonly string[]).includes(current.qmpstatus ?? current.status)
    ? ((current.qmpstatus ?? current.status) as ProxmoxVmState)
    : 'unknown';
  let addresses: ProxmoxNetworkAddress[] = [];
  let agentRunning = false;
  if (current.status === 'running' && current.agent) {
    try {
      addresses = guestAddresses(await api.guestInterfaces(vmid));
      agentRunning = true;
    } catch (error) {
      // Proxmox answers 500 "QEMU guest agent is not running" until the agent is up.
      if (!(error instanceof ProxmoxError)) throw error;
    }
  }
  return {
    node: api.node,
    vmid,
    name: current.name ?? (typeof config['name'] === 'string' ? config['name'] : null),
    state,
    uptimeSeconds: current.uptime ?? 0,
    cores: numberOf(config['cores']) ?? current.cpus ?? null,
    memoryMiB: memoryMiB(config['memory']) ?? (current.maxmem ? Math.round(current.maxmem / 2 ** 20) : null),
    addresses,
    agentRunning,
  };
}

function guestAddresses(interfaces: Awaited<ReturnType<ProxmoxApi['guestInterfaces']>>): ProxmoxNetworkAddress[] {
  return interfaces
    .filter((nic) => nic.name !== 'lo')
    .flatMap((nic) =>
      (nic['ip-addresses'] ?? [])
        .filter((ip) => !ip['ip-address'].startsWith('fe80:') && !ip['ip-address'].startsWith('127.'))
        .map((ip) => ({
          interface: nic.name,
          mac: nic['hardware-address'] ?? null,
          address: `${ip['ip-address']}/${ip.prefix}`,
          family: ip['ip-address-type'],
        })),
    );
}

function numberOf(value: unknown): number | null {
  return typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value)) ? Number(value) : null;
}

/** The config's memory is `4096` or `current=4096[,...]`. */
function memoryMiB(value: unknown): number | null {
  if (value === undefined) return null;
  const match = /(?:^|,)(?:current=)?(\d+)(?:,|$)/.exec(String(value));
  return match ? Number(match[1]) : null;
}

/** Snapshots newest first, without Proxmox's pseudo-entry "current" (the live state). */
export async function vmSnapshots(api: ProxmoxApi, vmid: number): Promise<ProxmoxSnapshotDto[]> {
  const raw = await api.snapshots(vmid);
  return raw
    .filter((snapshot) => snapshot.name !== 'current')
    .map((snapshot) => ({
      name: snapshot.name,
      description: (snapshot.description ?? '').trim(),
      createdAt: snapshot.snaptime ? new Date(snapshot.snaptime * 1000).toISOString() : null,
      parent: snapshot.parent ?? null,
      includesRam: snapshot.vmstate === 1,
    }))
    .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
}

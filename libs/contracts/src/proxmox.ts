/**
 * The deployment server's own VM on Proxmox VE, as the management API shows it
 * (`/api/proxmox/...`, admin only).
 */

/** QEMU's view of the VM: what `status/current` reports. */
export const PROXMOX_VM_STATES = ['running', 'stopped', 'paused', 'unknown'] as const;
export type ProxmoxVmState = (typeof PROXMOX_VM_STATES)[number];

export interface ProxmoxNetworkAddress {
  /** Interface name inside the guest, e.g. "eth0" or "ens18". */
  interface: string;
  mac: string | null;
  /** Address with prefix length, e.g. "10.1.0.10/24". */
  address: string;
  family: 'ipv4' | 'ipv6';
}

export interface ProxmoxVmStatusDto {
  node: string;
  vmid: number;
  name: string | null;
  state: ProxmoxVmState;
  uptimeSeconds: number;
  cores: number | null;
  memoryMiB: number | null;
  /**
   * What the guest agent reports (loopback and link-local left out); empty when the agent is not
   * running, see `agentRunning`.
   */
  addresses: ProxmoxNetworkAddress[];
  agentRunning: boolean;
}

export interface ProxmoxSnapshotDto {
  name: string;
  description: string;
  /** ISO time; null for snapshots without a recorded time. */
  createdAt: string | null;
  parent: string | null;
  /** Whether the VM's RAM was saved with it. */
  includesRam: boolean;
}

export interface CreateProxmoxSnapshotRequest {
  name: string;
  description?: string;
}

/**
 * Snapshot names as Proxmox accepts them (its `pve-configid` format, at most 40 characters):
 * a letter, then letters, digits or "_".
 */
export const PROXMOX_SNAPSHOT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{1,39}$/;

import type { ProxmoxParams } from '../client/proxmox-transport';

/** One NIC of the VM: bridge, VLAN tag and a static address for cloud-init. */
export interface NicSpec {
  bridge: string;
  vlan: number;
  /** IPv4 with prefix length, e.g. 10.1.0.10/24. */
  address: string;
  gateway?: string;
}

/** Where the system disk comes from. */
export type DiskSource =
  /** A cloud image already on a Proxmox storage, e.g. `local:import/noble-server-cloudimg-amd64.img`. */
  | { kind: 'cloud-image'; volume: string }
  /** A template VM (with a cloud-init drive) to clone in full. */
  | { kind: 'template'; vmid: number };

/** Everything the deployment server's VM needs; see `rpi-deploy proxmox provision --help`. */
export interface VmSpec {
  name: string;
  /** Given, or the cluster's next free one. */
  vmid?: number;
  cores: number;
  memoryMiB: number;
  /** Final size of the system disk, e.g. 32G (grown after import or clone). */
  diskSize: string;
  /** Storage for the system disk and the cloud-init drive, e.g. local-lvm. */
  storage: string;
  source: DiskSource;
  /** net0: the management VLAN (dashboard, SSH). */
  management: NicSpec;
  /** net1: the isolated deployment VLAN (DHCP/TFTP for the Pis). */
  deployment: NicSpec;
  nameservers: string[];
  ciUser: string;
  /** OpenSSH public keys, one per line. */
  sshKeys: string;
}

export const DEFAULT_VM_SPEC = {
  name: 'rpi-deploy',
  cores: 2,
  memoryMiB: 4096,
  diskSize: '32G',
  storage: 'local-lvm',
  ciUser: 'ubuntu',
  managementBridge: 'vmbr0',
  managementVlan: 101,
  deploymentBridge: 'vmbr0',
  deploymentVlan: 151,
} as const;

/** `virtio,bridge=vmbr0,tag=101`: Proxmox's pve-qm-net property string. */
export function netProperty(nic: NicSpec): string {
  return `virtio,bridge=${nic.bridge},tag=${nic.vlan}`;
}

/** `ip=10.1.0.10/24,gw=10.1.0.1`: Proxmox's pve-qm-ipconfig property string. */
export function ipconfigProperty(nic: NicSpec): string {
  return nic.gateway ? `ip=${nic.address},gw=${nic.gateway}` : `ip=${nic.address}`;
}

/**
 * Proxmox wants `sshkeys` URL-encoded, with %20 for spaces (its `urlencoded` format refuses
 * "+", and it decodes once before writing the keys into cloud-init).
 */
export function encodeSshKeys(keys: string): string {
  const lines = keys
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return encodeURIComponent(`${lines.join('\n')}\n`);
}

/** Hardware, NICs and cloud-init: the same for a fresh VM and for a clone. */
export function guestParams(spec: VmSpec): ProxmoxParams {
  return {
    cores: spec.cores,
    memory: String(spec.memoryMiB),
    agent: 'enabled=1',
    net0: netProperty(spec.management),
    net1: netProperty(spec.deployment),
    ciuser: spec.ciUser,
    sshkeys: encodeSshKeys(spec.sshKeys),
    ipconfig0: ipconfigProperty(spec.management),
    ipconfig1: ipconfigProperty(spec.deployment),
    nameserver: spec.nameservers.length ? spec.nameservers.join(' ') : undefined,
  };
}

/** POST /nodes/{node}/qemu for a VM whose disk is imported from a cloud image. */
export function createFromImageParams(spec: VmSpec, vmid: number | string, volume: string): ProxmoxParams {
  return {
    vmid,
    name: spec.name,
    ostype: 'l26',
    scsihw: 'virtio-scsi-single',
    scsi0: `${spec.storage}:0,import-from=${volume},discard=on,iothread=1`,
    ide2: `${spec.storage}:cloudinit`,
    boot: 'order=scsi0',
    // Cloud images print their console on the serial port.
    serial0: 'socket',
    vga: 'serial0',
    ...guestParams(spec),
  };
}

import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { InvalidArgumentError, type Command } from 'commander';
import { ProxmoxError } from '../client/proxmox-errors';
import { DEFAULT_VM_SPEC, type VmSpec } from '../vm/vm-spec';
import { positiveInt } from './connection-options';

export interface ProvisionFlags {
  name: string;
  vmid?: number;
  cores: number;
  memory: number;
  diskSize: string;
  storage: string;
  cloudImage?: string;
  template?: number;
  mgmtBridge: string;
  mgmtVlan: number;
  mgmtIp?: string;
  mgmtGateway?: string;
  deployBridge: string;
  deployVlan: number;
  deployIp: string;
  nameserver: string[];
  ciUser: string;
  sshKey: string[];
  sshKeyFile: string[];
}

const vmid = (value: string): number => {
  if (!/^[1-9]\d{2,8}$/.test(value)) throw new InvalidArgumentError('expected a VM id (100-999999999)');
  return Number(value);
};
const vlan = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 4094) {
    throw new InvalidArgumentError('expected a VLAN tag 1-4094');
  }
  return Number(value);
};
const cidr = (value: string): string => {
  const [address, prefix] = value.split('/');
  if (!isIPv4(address) || !/^\d+$/.test(prefix ?? '') || Number(prefix) < 8 || Number(prefix) > 32) {
    throw new InvalidArgumentError('expected an IPv4 address with prefix length, e.g. 10.1.0.10/24');
  }
  return value;
};
const ipv4 = (value: string): string => {
  if (!isIPv4(value)) throw new InvalidArgumentError('expected an IPv4 address');
  return value;
};
const diskSize = (value: string): string => {
  if (!/^\d+(\.\d+)?[KMGT]?$/.test(value)) throw new InvalidArgumentError('expected a size like 32G');
  return value;
};
const collect = (value: string, previous: string[]) => [...previous, value];

/** The VM's flags, with the defaults of the deployment server (two NICs, VLANs 101 and 151). */
export function addProvisionOptions(command: Command): Command {
  const d = DEFAULT_VM_SPEC;
  return command
    .option('--name <name>', 'VM name; a VM of this name is reported, never created twice', d.name)
    .option('--vmid <id>', 'VM id (default: the next free one)', vmid)
    .option('--cores <n>', 'CPU cores', positiveInt, d.cores)
    .option('--memory <MiB>', 'memory in MiB', positiveInt, d.memoryMiB)
    .option('--disk-size <size>', 'system disk size (grown after import or clone)', diskSize, d.diskSize)
    .option('--storage <id>', 'storage for the system disk and the cloud-init drive', d.storage)
    .option(
      '--cloud-image <volume>',
      'import the disk from this cloud image, e.g. local:import/noble-server-cloudimg-amd64.img',
    )
    .option('--template <vmid>', 'or clone this template VM (full clone) instead', vmid)
    .option('--mgmt-bridge <bridge>', 'bridge of net0, the management NIC', d.managementBridge)
    .option('--mgmt-vlan <tag>', 'VLAN tag of net0', vlan, d.managementVlan)
    .option('--mgmt-ip <cidr>', 'static address of net0, e.g. 10.1.0.10/24', cidr)
    .option('--mgmt-gateway <ip>', 'default gateway (on the management network)', ipv4)
    .option('--deploy-bridge <bridge>', 'bridge of net1, the deployment NIC', d.deploymentBridge)
    .option('--deploy-vlan <tag>', 'VLAN tag of net1', vlan, d.deploymentVlan)
    .option('--deploy-ip <cidr>', 'static address of net1 (the Pis netboot from it)', cidr, '192.168.151.1/24')
    .option('--nameserver <ip>', 'DNS server for the VM (repeatable)', collect, [])
    .option('--ci-user <name>', 'user that cloud-init creates', d.ciUser)
    .option('--ssh-key <key>', 'OpenSSH public key for that user (repeatable)', collect, [])
    .option(
      '--ssh-key-file <path>',
      'file of OpenSSH public keys, e.g. ~/.ssh/id_ed25519.pub (repeatable)',
      collect,
      [],
    );
}

/** Checks the combination of flags and reads the key files. */
export function vmSpecFrom(flags: ProvisionFlags): VmSpec {
  if (!flags.cloudImage === (flags.template === undefined)) {
    throw new ProxmoxError('Give the system disk source: --cloud-image VOLUME or --template VMID (one of them)');
  }
  if (!flags.mgmtIp) throw new ProxmoxError('Give the management address: --mgmt-ip 10.1.0.10/24');
  const keys = [...flags.sshKey];
  for (const file of flags.sshKeyFile) {
    try {
      keys.push(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ProxmoxError(`Cannot read --ssh-key-file ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
  }
  const sshKeys = keys.join('\n').trim();
  if (!sshKeys) throw new ProxmoxError('Give an SSH public key to log in with: --ssh-key-file ~/.ssh/id_ed25519.pub');
  return {
    name: flags.name,
    vmid: flags.vmid,
    cores: flags.cores,
    memoryMiB: flags.memory,
    diskSize: flags.diskSize,
    storage: flags.storage,
    source: flags.cloudImage
      ? { kind: 'cloud-image', volume: flags.cloudImage }
      : { kind: 'template', vmid: flags.template! },
    management: { bridge: flags.mgmtBridge, vlan: flags.mgmtVlan, address: flags.mgmtIp, gateway: flags.mgmtGateway },
    deployment: { bridge: flags.deployBridge, vlan: flags.deployVlan, address: flags.deployIp },
    nameservers: flags.nameserver,
    ciUser: flags.ciUser,
    sshKeys,
  };
}

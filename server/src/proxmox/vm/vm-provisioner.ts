import type { ProxmoxApi, Vmid } from '../client/proxmox-api';
import { ProxmoxError } from '../client/proxmox-errors';
import { createFromImageParams, guestParams, type VmSpec } from './vm-spec';

export interface ProvisionResult {
  vmid: Vmid;
  node: string;
  name: string;
  /** False when a VM of that name existed already and was left as it was. */
  created: boolean;
  status: string;
}

/** Told about each step, for progress output. */
export type ProvisionProgress = (step: string) => void;

/**
 * Creates the deployment server's VM and starts it, following every Proxmox task to its end.
 * Idempotent by name: when a VM of that name exists anywhere in the cluster it is reported and
 * nothing is changed, so a re-run after success (or after a crash mid-way) never makes a second VM.
 */
export async function provisionVm(
  api: ProxmoxApi,
  spec: VmSpec,
  progress: ProvisionProgress = () => undefined,
): Promise<ProvisionResult> {
  const vms = await api.virtualMachines();
  const existing = vms.filter((vm) => vm.name === spec.name);
  if (existing.length > 1) {
    const ids = existing.map((vm) => `${vm.vmid} on ${vm.node}`).join(', ');
    throw new ProxmoxError(`Several VMs are named "${spec.name}" (${ids}): rename or remove all but one`);
  }
  if (existing.length === 1) {
    const [vm] = existing;
    progress(`VM "${spec.name}" exists already (VMID ${vm.vmid} on ${vm.node}): nothing to do`);
    return { vmid: vm.vmid, node: vm.node, name: spec.name, created: false, status: vm.status ?? 'unknown' };
  }

  let vmid: Vmid;
  if (spec.vmid !== undefined) {
    const taken = vms.find((vm) => vm.vmid === spec.vmid);
    if (taken) {
      throw new ProxmoxError(
        `VMID ${spec.vmid} is already used by "${taken.name ?? '(no name)'}" on ${taken.node}: pick another --vmid or leave it out`,
      );
    }
    vmid = spec.vmid;
  } else {
    vmid = await api.nextFreeVmid();
  }

  if (spec.source.kind === 'cloud-image') {
    progress(`Creating VM ${vmid} "${spec.name}" with its disk imported from ${spec.source.volume}`);
    await api.createVm(createFromImageParams(spec, vmid, spec.source.volume));
  } else {
    progress(`Cloning template ${spec.source.vmid} into VM ${vmid} "${spec.name}"`);
    await api.cloneVm(spec.source.vmid, { newid: vmid, name: spec.name, full: true, storage: spec.storage });
    const config = await api.vmConfig(vmid);
    const hasCloudInit = Object.values(config).some((value) => String(value).includes('cloudinit'));
    progress(`Configuring VM ${vmid}: cores, memory, NICs, cloud-init`);
    await api.updateConfig(vmid, {
      ...guestParams(spec),
      ide2: hasCloudInit ? undefined : `${spec.storage}:cloudinit`,
    });
  }
  progress(`Growing the system disk to ${spec.diskSize}`);
  await api.resizeDisk(vmid, 'scsi0', spec.diskSize);
  progress(`Starting VM ${vmid}`);
  await api.start(vmid);
  return { vmid, node: api.node, name: spec.name, created: true, status: 'running' };
}

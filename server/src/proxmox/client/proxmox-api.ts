import { readTaskLog, waitForTask, type TaskWaitOptions } from './proxmox-tasks';
import type { ProxmoxParams, ProxmoxTransport } from './proxmox-transport';

/** A VM id as used in paths: a number, or the dry run's `$VMID` placeholder. */
export type Vmid = number | string;

export interface ClusterVm {
  vmid: number;
  name?: string;
  node: string;
  status?: string;
  template?: number;
  type: 'qemu' | 'lxc';
}

export interface VmCurrentStatus {
  status: string;
  qmpstatus?: string;
  name?: string;
  uptime?: number;
  cpus?: number;
  maxmem?: number;
  /** 1 when the guest agent is enabled in the config. */
  agent?: number;
}

export interface GuestInterface {
  name: string;
  'hardware-address'?: string;
  'ip-addresses'?: Array<{ 'ip-address': string; 'ip-address-type': 'ipv4' | 'ipv6'; prefix: number }>;
}

export interface RawSnapshot {
  name: string;
  description?: string;
  snaptime?: number;
  parent?: string;
  vmstate?: number;
}

/** The calls of the Proxmox VE API that this project uses, typed, on one node. */
export class ProxmoxApi {
  constructor(
    readonly transport: ProxmoxTransport,
    readonly node: string,
    private readonly taskOptions: TaskWaitOptions = {},
  ) {}

  private vmPath(vmid: Vmid, rest = ''): string {
    return `/nodes/${encodeURIComponent(this.node)}/qemu/${vmid}${rest}`;
  }

  /** Follows a task that a write started to its end (throws with the log when it failed). */
  async finish(upid: unknown): Promise<void> {
    if (typeof upid === 'string' && upid !== '') await waitForTask(this.transport, this.node, upid, this.taskOptions);
  }

  async virtualMachines(): Promise<ClusterVm[]> {
    const resources = await this.transport.request<ClusterVm[]>('GET', '/cluster/resources', { type: 'vm' });
    return resources.filter((resource) => resource.type === 'qemu');
  }

  /** Proxmox answers a string here despite its schema saying integer. */
  async nextFreeVmid(): Promise<Vmid> {
    const next = await this.transport.request<number | string>('GET', '/cluster/nextid');
    return /^\d+$/.test(String(next)) ? Number(next) : next;
  }

  async createVm(params: ProxmoxParams): Promise<void> {
    await this.finish(await this.transport.request('POST', `/nodes/${encodeURIComponent(this.node)}/qemu`, params));
  }

  async cloneVm(source: Vmid, params: ProxmoxParams): Promise<void> {
    await this.finish(await this.transport.request('POST', this.vmPath(source, '/clone'), params));
  }

  async vmConfig(vmid: Vmid): Promise<Record<string, string | number>> {
    return this.transport.request('GET', this.vmPath(vmid, '/config'));
  }

  /** The asynchronous config call: may start a task (e.g. allocating a cloud-init drive). */
  async updateConfig(vmid: Vmid, params: ProxmoxParams): Promise<void> {
    await this.finish(await this.transport.request('POST', this.vmPath(vmid, '/config'), params));
  }

  async resizeDisk(vmid: Vmid, disk: string, size: string): Promise<void> {
    await this.finish(await this.transport.request('PUT', this.vmPath(vmid, '/resize'), { disk, size }));
  }

  async start(vmid: Vmid): Promise<void> {
    await this.finish(await this.transport.request('POST', this.vmPath(vmid, '/status/start')));
  }

  async convertToTemplate(vmid: Vmid): Promise<void> {
    await this.finish(await this.transport.request('POST', this.vmPath(vmid, '/template')));
  }

  currentStatus(vmid: Vmid): Promise<VmCurrentStatus> {
    return this.transport.request('GET', this.vmPath(vmid, '/status/current'));
  }

  async guestInterfaces(vmid: Vmid): Promise<GuestInterface[]> {
    const answer = await this.transport.request<{ result?: GuestInterface[] }>(
      'GET',
      this.vmPath(vmid, '/agent/network-get-interfaces'),
    );
    return answer?.result ?? [];
  }

  snapshots(vmid: Vmid): Promise<RawSnapshot[]> {
    return this.transport.request('GET', this.vmPath(vmid, '/snapshot'));
  }

  async createSnapshot(vmid: Vmid, snapname: string, description?: string): Promise<void> {
    await this.finish(await this.transport.request('POST', this.vmPath(vmid, '/snapshot'), { snapname, description }));
  }

  /** Starts the rollback and returns its UPID without waiting (the caller may be inside that VM). */
  startRollback(vmid: Vmid, snapname: string, start: boolean): Promise<string> {
    return this.transport.request('POST', this.vmPath(vmid, `/snapshot/${encodeURIComponent(snapname)}/rollback`), {
      start: start || undefined,
    });
  }

  /** vzdump of one VM; returns the task log, which names the archive written. */
  async backup(vmid: Vmid, params: ProxmoxParams): Promise<string[]> {
    const upid = await this.transport.request<string>('POST', `/nodes/${encodeURIComponent(this.node)}/vzdump`, {
      vmid: String(vmid),
      ...params,
    });
    await this.finish(upid);
    return readTaskLog(this.transport, this.node, upid);
  }
}

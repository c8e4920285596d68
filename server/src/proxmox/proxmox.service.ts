import {
  BadGatewayException,
  Injectable,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { ProxmoxSnapshotDto, ProxmoxVmStatusDto } from '@rpi-deploy/contracts';
import { AppConfig } from '../config/app-config';
import { HttpsTransport } from './client/https-transport';
import { ProxmoxApi } from './client/proxmox-api';
import { ProxmoxError } from './client/proxmox-errors';
import { ProxmoxNotConfiguredError, resolveProxmoxTarget } from './proxmox-target';
import { vmSnapshots, vmStatus } from './vm/vm-views';

/** The server's own VM on Proxmox VE: status and snapshots for the dashboard. */
@Injectable()
export class ProxmoxService {
  private readonly logger = new Logger('Proxmox');

  constructor(private readonly config: AppConfig) {}

  status(): Promise<ProxmoxVmStatusDto> {
    return this.withVm((api, vmid) => vmStatus(api, vmid));
  }

  snapshots(): Promise<ProxmoxSnapshotDto[]> {
    return this.withVm((api, vmid) => vmSnapshots(api, vmid));
  }

  /** Takes the snapshot (disk only, guest file systems frozen by the agent) and waits for it. */
  createSnapshot(name: string, description: string | undefined, by: string): Promise<ProxmoxSnapshotDto[]> {
    return this.withVm(async (api, vmid) => {
      await api.createSnapshot(vmid, name, description);
      this.logger.log(`Snapshot "${name}" of VM ${vmid} taken by ${by}`);
      return vmSnapshots(api, vmid);
    });
  }

  /**
   * Starts the rollback and returns its task id at once: this server runs inside that VM, so it
   * stops when the rollback begins and comes back (started again) as it was at the snapshot.
   */
  rollback(name: string, by: string): Promise<{ task: string }> {
    return this.withVm(async (api, vmid) => {
      const snapshots = await api.snapshots(vmid);
      if (!snapshots.some((snapshot) => snapshot.name === name && name !== 'current')) {
        throw new NotFoundException(`VM ${vmid} has no snapshot "${name}"`);
      }
      this.logger.warn(`Rollback of VM ${vmid} to snapshot "${name}" started by ${by}`);
      return { task: await api.startRollback(vmid, name, true) };
    });
  }

  private async withVm<T>(use: (api: ProxmoxApi, vmid: number) => Promise<T>): Promise<T> {
    let target;
    try {
      target = await resolveProxmoxTarget(this.config.proxmox);
    } catch (error) {
      if (error instanceof ProxmoxNotConfiguredError) throw new ServiceUnavailableException(error.message);
      throw error;
    }
    try {
      return await use(new ProxmoxApi(new HttpsTransport(target.connection), target.node), target.vmid);
    } catch (error) {
      // Proxmox's own 401/403 must not reach the browser as ours: it would read as "log in again".
      if (error instanceof ProxmoxError) throw new BadGatewayException(error.message);
      throw error;
    }
  }
}

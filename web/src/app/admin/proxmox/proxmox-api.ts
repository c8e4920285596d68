import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { CreateProxmoxSnapshotRequest, ProxmoxSnapshotDto, ProxmoxVmStatusDto } from '@rpi-deploy/contracts';
import type { Observable } from 'rxjs';

/** The server's own Proxmox VM (`/api/proxmox`, admin only; 503 until Proxmox is configured). */
@Injectable({ providedIn: 'root' })
export class ProxmoxApi {
  private readonly http = inject(HttpClient);

  status(): Observable<ProxmoxVmStatusDto> {
    return this.http.get<ProxmoxVmStatusDto>('/api/proxmox/status');
  }

  /** Newest first. */
  snapshots(): Observable<ProxmoxSnapshotDto[]> {
    return this.http.get<ProxmoxSnapshotDto[]>('/api/proxmox/snapshots');
  }

  /** Answers once Proxmox has taken it, with the snapshots as they are then. */
  createSnapshot(request: CreateProxmoxSnapshotRequest): Observable<ProxmoxSnapshotDto[]> {
    return this.http.post<ProxmoxSnapshotDto[]>('/api/proxmox/snapshots', request);
  }

  /** Answers as soon as the rollback has started (this server goes down with its VM). */
  rollback(name: string): Observable<{ task: string }> {
    return this.http.post<{ task: string }>(`/api/proxmox/snapshots/${encodeURIComponent(name)}/rollback`, {});
  }
}

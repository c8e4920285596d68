import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatDialog } from '@angular/material/dialog';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import type { ProxmoxSnapshotDto, ProxmoxVmStatusDto } from '@rpi-deploy/contracts';
import { filter, forkJoin, switchMap } from 'rxjs';
import { AuthService } from '../../auth/auth.service';
import { formatDuration } from '../../format/units';
import { apiErrorMessage } from '../../http/api-error-message';
import { Loadable } from '../../http/loadable';
import { confirmAction } from '../../shared/confirm-dialog';
import { Notice } from '../../shared/notice';
import { ProxmoxApi } from './proxmox-api';
import { SnapshotForm } from './snapshot-form';

/** The Proxmox VM this server runs in: its state and snapshots, for admins. */
@Component({
  selector: 'app-proxmox-panel',
  imports: [DatePipe, MatButtonModule, MatCardModule, MatTableModule, Notice, SnapshotForm],
  templateUrl: './proxmox-panel.html',
  styles: `
    .facts {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 4px 16px;
      margin: 0;
    }
    dt {
      color: var(--mat-sys-on-surface-variant);
    }
    dd {
      margin: 0;
    }
    mat-card {
      margin-bottom: 16px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ProxmoxPanel {
  private readonly api = inject(ProxmoxApi);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly auth = inject(AuthService);
  protected readonly isAdmin = computed(() => this.auth.hasRole('admin'));
  protected readonly proxmox = new Loadable<{ status: ProxmoxVmStatusDto; snapshots: ProxmoxSnapshotDto[] } | null>(
    () => forkJoin({ status: this.api.status(), snapshots: this.api.snapshots() }),
    null,
  );
  /** Proxmox is not set up on this server (503): said as information, not as an error. */
  protected readonly notConfigured = computed(() => this.proxmox.errorStatus() === 503);
  protected readonly rollingBack = signal<string | null>(null);
  protected readonly rollbackError = signal<string | null>(null);
  protected readonly columns = ['name', 'createdAt', 'description', 'actions'];
  protected readonly snapshots = computed(() => this.proxmox.value()?.snapshots ?? []);
  protected readonly uptime = computed(() => formatDuration(this.proxmox.value()?.status.uptimeSeconds));

  constructor() {
    if (this.isAdmin()) this.proxmox.reload();
  }

  protected taken(snapshots: ProxmoxSnapshotDto[]): void {
    this.proxmox.update((loaded) => loaded && { ...loaded, snapshots });
    this.snackBar.open(`Snapshot ${snapshots[0]?.name ?? ''} taken`, 'OK', { duration: 4000 });
  }

  protected rollback(snapshot: ProxmoxSnapshotDto): void {
    confirmAction(this.dialog, {
      title: `Roll back to ${snapshot.name}?`,
      message:
        `The VM goes back to how it was at this snapshot; everything since is lost. ` +
        'This server runs in that VM: it stops now and starts again from the snapshot, ' +
        'so this page loses its connection for a minute or two.',
      confirmLabel: 'Roll back',
    })
      .pipe(
        filter((confirmed) => confirmed),
        switchMap(() => {
          this.rollbackError.set(null);
          this.rollingBack.set(snapshot.name);
          return this.api.rollback(snapshot.name);
        }),
      )
      .subscribe({
        next: () =>
          this.snackBar.open(`Rolling back to ${snapshot.name}: the server restarts shortly`, 'OK', {
            duration: 10000,
          }),
        error: (error: unknown) => {
          this.rollingBack.set(null);
          this.rollbackError.set(apiErrorMessage(error));
        },
      });
  }
}

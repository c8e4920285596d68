import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatTableModule } from '@angular/material/table';
import type { HostnameDto } from '@rpi-deploy/contracts';
import { filter } from 'rxjs';
import { confirmAction } from '../shared/confirm-dialog';
import { StatusChip } from '../shared/status-chip';

export interface HostnameAction {
  hostname: HostnameDto;
  action: 'release' | 'retire';
}

/** A venue's hostnames: free, held by which device, retired; with release and retire for operators. */
@Component({
  selector: 'app-kart-pool-table',
  imports: [DatePipe, MatButtonModule, MatTableModule, StatusChip],
  template: `
    <div class="table-wrap">
      <table mat-table [dataSource]="hostnames()" aria-label="Kart pool">
        <ng-container matColumnDef="hostname">
          <th mat-header-cell *matHeaderCellDef>Hostname</th>
          <td mat-cell *matCellDef="let row" class="mono">{{ row.hostname }}</td>
        </ng-container>
        <ng-container matColumnDef="status">
          <th mat-header-cell *matHeaderCellDef>Status</th>
          <td mat-cell *matCellDef="let row"><app-status-chip [status]="row.status" /></td>
        </ng-container>
        <ng-container matColumnDef="device">
          <th mat-header-cell *matHeaderCellDef>Device</th>
          <td mat-cell *matCellDef="let row" class="mono">
            @if (row.deviceSerial) {
              {{ row.deviceSerial }} · {{ row.deviceMac }}
            } @else {
              –
            }
          </td>
        </ng-container>
        <ng-container matColumnDef="assignedAt">
          <th mat-header-cell *matHeaderCellDef>Assigned</th>
          <td mat-cell *matCellDef="let row">{{ row.assignedAt ? (row.assignedAt | date: 'medium') : '–' }}</td>
        </ng-container>
        <ng-container matColumnDef="actions">
          <th mat-header-cell *matHeaderCellDef><span class="visually-hidden">Actions</span></th>
          <td mat-cell *matCellDef="let row">
            <div class="actions">
              @if (row.status === 'assigned') {
                <button
                  mat-button
                  type="button"
                  (click)="ask(row, 'release')"
                  [attr.aria-label]="'Release ' + row.hostname"
                >
                  Release
                </button>
              }
              @if (row.status !== 'retired') {
                <button
                  mat-button
                  type="button"
                  (click)="ask(row, 'retire')"
                  [attr.aria-label]="'Retire ' + row.hostname"
                >
                  Retire
                </button>
              }
            </div>
          </td>
        </ng-container>
        <tr mat-header-row *matHeaderRowDef="columns()"></tr>
        <tr mat-row *matRowDef="let row; columns: columns()"></tr>
        <tr class="mat-row" *matNoDataRow>
          <td class="empty" [attr.colspan]="columns().length">No hostnames here yet.</td>
        </tr>
      </table>
    </div>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class KartPoolTable {
  private readonly dialog = inject(MatDialog);
  readonly hostnames = input.required<HostnameDto[]>();
  readonly canChange = input.required<boolean>();
  readonly act = output<HostnameAction>();
  protected readonly columns = computed(() => [
    'hostname',
    'status',
    'device',
    'assignedAt',
    ...(this.canChange() ? ['actions'] : []),
  ]);

  protected ask(hostname: HostnameDto, action: HostnameAction['action']): void {
    const data =
      action === 'release'
        ? {
            title: `Release ${hostname.hostname}?`,
            message: `The device ${hostname.deviceSerial} loses this name; the number goes back to the pool.`,
            confirmLabel: 'Release',
          }
        : {
            title: `Retire ${hostname.hostname}?`,
            message: 'A retired hostname is never handed out again. This cannot be undone.',
            confirmLabel: 'Retire',
          };
    confirmAction(this.dialog, data)
      .pipe(filter(Boolean))
      .subscribe(() => this.act.emit({ hostname, action }));
  }
}

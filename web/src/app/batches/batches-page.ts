import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';
import { SOCKET_EVENTS, type BatchAction, type BatchDto, type VenueDto } from '@rpi-deploy/contracts';
import { debounceTime, filter, of, switchMap } from 'rxjs';
import { BatchesApi } from '../api/batches-api';
import { VenuesApi } from '../api/venues-api';
import { AuthService } from '../auth/auth.service';
import { apiErrorMessage } from '../http/api-error-message';
import { Loadable } from '../http/loadable';
import { LiveSocket } from '../live/live-socket';
import { confirmAction } from '../shared/confirm-dialog';
import { Notice } from '../shared/notice';
import { StatusChip } from '../shared/status-chip';
import { allowedBatchActions } from './batch-actions';
import { BatchForm } from './batch-form';
import { BatchProgress } from './batch-progress';

const ACTION_LABELS: Record<BatchAction, string> = { start: 'Start', pause: 'Pause', cancel: 'Cancel' };

@Component({
  selector: 'app-batches-page',
  imports: [
    BatchForm,
    BatchProgress,
    DatePipe,
    MatButtonModule,
    MatProgressBarModule,
    MatTableModule,
    Notice,
    RouterLink,
    StatusChip,
  ],
  templateUrl: './batches-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class BatchesPage {
  private readonly batchesApi = inject(BatchesApi);
  private readonly venuesApi = inject(VenuesApi);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly auth = inject(AuthService);

  protected readonly canChange = computed(() => this.auth.hasRole('operator'));
  protected readonly batches = new Loadable<BatchDto[]>(() => this.batchesApi.list(), []);
  /** For the form's venue list; without it the form simply offers none. */
  protected readonly venues = new Loadable<VenueDto[]>(() => this.venuesApi.list(), []);
  /** Why the last start, pause or cancel failed. */
  protected readonly actionError = signal<string | null>(null);
  protected readonly actionLabels = ACTION_LABELS;
  protected readonly actionsOf = allowedBatchActions;
  protected readonly columns = computed(() => [
    'id',
    'venue',
    'product',
    'priority',
    'status',
    'progress',
    'createdAt',
    'labels',
    ...(this.canChange() ? ['actions'] : []),
  ]);

  constructor() {
    this.batches.reload();
    this.venues.reload();
    // Hostnames handed out move the batches along: follow the live deployments, calmly.
    inject(LiveSocket)
      .on(SOCKET_EVENTS.deploymentsUpdated)
      .pipe(debounceTime(1_000), takeUntilDestroyed())
      .subscribe(() => this.batches.reload());
  }

  protected created(batch: BatchDto): void {
    this.snackBar.open(`Batch ${batch.id} created: start it when the units are ready`, 'OK', { duration: 5000 });
    this.batches.reload();
  }

  protected apply(batch: BatchDto, action: BatchAction): void {
    const confirmed =
      action === 'cancel'
        ? confirmAction(this.dialog, {
            title: `Cancel batch ${batch.id}?`,
            message: `No more units will be named through this batch (${batch.assigned} of ${batch.count} done). A cancelled batch cannot be started again.`,
            confirmLabel: 'Cancel batch',
          })
        : of(true);
    confirmed
      .pipe(
        filter(Boolean),
        switchMap(() => this.batchesApi.apply(batch.id, action)),
      )
      .subscribe({
        next: (updated) => {
          this.actionError.set(null);
          this.batches.update((batches) => batches.map((each) => (each.id === updated.id ? updated : each)));
        },
        error: (error: unknown) => this.actionError.set(apiErrorMessage(error)),
      });
  }
}

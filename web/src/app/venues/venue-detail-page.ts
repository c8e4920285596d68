import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal, untracked } from '@angular/core';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { RouterLink } from '@angular/router';
import { HOSTNAME_STATUSES, type HostnameDto, type HostnameStatus, type VenueDto } from '@rpi-deploy/contracts';
import { forkJoin, type Observable } from 'rxjs';
import { HostnamesApi } from '../api/hostnames-api';
import { VenuesApi } from '../api/venues-api';
import { AuthService } from '../auth/auth.service';
import { apiErrorMessage } from '../http/api-error-message';
import { Loadable } from '../http/loadable';
import { Notice } from '../shared/notice';
import { KartImportForm } from './kart-import-form';
import { KartPoolTable, type HostnameAction } from './kart-pool-table';

/** One venue: its details, its kart pool and the bulk import. */
@Component({
  selector: 'app-venue-detail-page',
  imports: [
    KartImportForm,
    KartPoolTable,
    MatButtonToggleModule,
    MatIconModule,
    MatProgressBarModule,
    Notice,
    RouterLink,
  ],
  templateUrl: './venue-detail-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class VenueDetailPage {
  private readonly venuesApi = inject(VenuesApi);
  private readonly hostnamesApi = inject(HostnamesApi);
  private readonly snackBar = inject(MatSnackBar);
  private readonly auth = inject(AuthService);

  /** Route parameter. */
  readonly code = input.required<string>();

  protected readonly canChange = computed(() => this.auth.hasRole('operator'));
  protected readonly statuses = HOSTNAME_STATUSES;
  protected readonly statusFilter = signal<HostnameStatus | 'all'>('all');
  protected readonly detail = new Loadable<{ venue: VenueDto; hostnames: HostnameDto[] } | null>(
    () =>
      forkJoin({ venue: this.venuesApi.get(this.code()), hostnames: this.hostnamesApi.list({ venue: this.code() }) }),
    null,
  );
  protected readonly venue = computed(() => this.detail.value()?.venue ?? null);
  protected readonly hostnames = computed(() => this.detail.value()?.hostnames ?? []);
  protected readonly shown = computed(() => {
    const status = this.statusFilter();
    return status === 'all' ? this.hostnames() : this.hostnames().filter((hostname) => hostname.status === status);
  });
  /** Why the last release or retirement failed. */
  protected readonly actionError = signal<string | null>(null);

  constructor() {
    // Loads again when the route parameter changes (another venue in the same page).
    effect(() => {
      this.code();
      untracked(() => this.detail.reload());
    });
  }

  protected act({ hostname, action }: HostnameAction): void {
    const request: Observable<HostnameDto> =
      action === 'release' ? this.hostnamesApi.release(hostname.hostname) : this.hostnamesApi.retire(hostname.hostname);
    request.subscribe({
      next: () => {
        this.actionError.set(null);
        this.snackBar.open(`${hostname.hostname} ${action === 'release' ? 'released' : 'retired'}`, 'OK', {
          duration: 4000,
        });
        this.detail.reload();
      },
      error: (error: unknown) => this.actionError.set(apiErrorMessage(error)),
    });
  }
}

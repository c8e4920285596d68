import { DatePipe } from '@angular/common';
import {
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  effect,
  inject,
  input,
  signal,
  untracked,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { RouterLink } from '@angular/router';
import {
  DEPLOYMENT_EVENT_PAGING,
  SOCKET_EVENTS,
  type DeploymentDetailDto,
  type DeploymentEventDto,
  type DeploymentsUpdatedEvent,
} from '@rpi-deploy/contracts';
import type { ChartConfiguration } from 'chart.js';
import { filter, throttleTime } from 'rxjs';
import { DeploymentsApi } from '../api/deployments-api';
import { formatDuration, formatSize } from '../format/units';
import { apiErrorMessage } from '../http/api-error-message';
import { Loadable } from '../http/loadable';
import { LiveSocket } from '../live/live-socket';
import { ByteSources } from '../shared/byte-sources';
import { ChartCanvas } from '../shared/chart-canvas';
import { ChartPaletteService } from '../shared/chart-palette';
import { Notice } from '../shared/notice';
import { StatusChip } from '../shared/status-chip';
import { durationSeconds } from './deployment-duration';
import { FailureCodeNote } from './failure-code-note';
import { BootConfirmationNote } from './boot-confirmation-note';
import { ImpersonationWarningNote } from './impersonation-warning';
import { throughputSeries } from './throughput-series';
import { transferSummary } from './transfer-summary';
import { UnitActions } from './unit-actions';

/**
 * One deployment: the unit, the image, its event timeline and the throughput it reached. The
 * API sends the latest events only (a unit may send thousands); older ones are paged in on demand.
 */
@Component({
  selector: 'app-deployment-detail-page',
  imports: [
    ByteSources,
    ChartCanvas,
    DatePipe,
    FailureCodeNote,
    BootConfirmationNote,
    ImpersonationWarningNote,
    MatButtonModule,
    MatIconModule,
    MatProgressBarModule,
    Notice,
    RouterLink,
    StatusChip,
    UnitActions,
  ],
  templateUrl: './deployment-detail-page.html',
  styleUrl: './deployment-detail-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DeploymentDetailPage {
  private readonly api = inject(DeploymentsApi);
  private readonly palette = inject(ChartPaletteService).palette;
  private readonly destroyRef = inject(DestroyRef);

  /** Route parameter. */
  readonly id = input.required<string>();

  protected readonly detail = new Loadable<DeploymentDetailDto | null>(() => this.api.get(this.id()), null);
  protected readonly deployment = this.detail.value;
  protected readonly bytes = formatSize;
  protected readonly transfer = transferSummary;
  protected readonly duration = computed(() => {
    const deployment = this.deployment();
    return deployment ? formatDuration(durationSeconds(deployment)) : '–';
  });
  /**
   * Events paged in with "Show older", by id. Once there are some, each reload's latest events
   * join them too, so the window moving on with new reports leaves no hole in the timeline.
   */
  private readonly kept = signal<ReadonlyMap<number, DeploymentEventDto>>(new Map());
  protected readonly loadingOlder = signal(false);
  protected readonly olderError = signal<string | null>(null);
  /** Every event loaded, oldest first. */
  private readonly timeline = computed(() => {
    const latest = this.deployment()?.events ?? [];
    if (this.kept().size === 0) return latest;
    const all = new Map(this.kept());
    for (const event of latest) all.set(event.id, event);
    return [...all.values()].sort((a, b) => a.id - b.id);
  });
  protected readonly events = computed(() => [...this.timeline()].reverse());
  /** Peers dropped for a wrong or missing chunk, this unit's and those that served it one, newest first. */
  protected readonly peerFaults = computed(() => this.events().filter((event) => event.kind === 'peer_fault'));
  /** Events the server holds that are not loaded (older than the first one shown). */
  protected readonly olderCount = computed(() =>
    Math.max(0, (this.deployment()?.eventCount ?? 0) - this.timeline().length),
  );
  protected readonly chart = computed<ChartConfiguration | null>(() => {
    const deployment = this.deployment();
    if (!deployment) return null;
    const series = throughputSeries(this.timeline(), deployment.startedAt);
    if (Object.keys(series).length === 0) return null;
    const colors = this.palette();
    const lines = [
      { label: 'Download + write', data: series.downloading ?? [], color: colors.primary },
      { label: 'Verify', data: series.verifying ?? [], color: colors.working },
    ];
    return {
      type: 'line',
      data: {
        datasets: lines.map((line) => ({
          label: line.label,
          data: line.data,
          borderColor: line.color,
          backgroundColor: line.color,
          pointRadius: 2,
          tension: 0.2,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: {
            type: 'linear',
            title: { display: true, text: 'seconds since start', color: colors.text },
            ticks: { color: colors.text },
            grid: { color: colors.grid },
          },
          y: {
            beginAtZero: true,
            title: { display: true, text: 'MB/s', color: colors.text },
            ticks: { color: colors.text },
            grid: { color: colors.grid },
          },
        },
        plugins: { legend: { labels: { color: colors.text } } },
      },
    };
  });

  constructor() {
    // Loads again when the route parameter changes (another deployment in the same page).
    effect(() => {
      this.id();
      untracked(() => {
        this.kept.set(new Map());
        this.olderError.set(null);
        this.detail.reload();
      });
    });
    // While the unit is still at work, follow it (a reload per second at most).
    inject(LiveSocket)
      .on<DeploymentsUpdatedEvent>(SOCKET_EVENTS.deploymentsUpdated)
      .pipe(
        filter((batch) => batch.some((update) => update.id === this.id())),
        throttleTime(1_000, undefined, { leading: true, trailing: true }),
        takeUntilDestroyed(),
      )
      .subscribe(() => this.detail.reload());
  }

  /** Loads the page of events before the oldest one shown. */
  protected showOlder(): void {
    const oldest = this.timeline()[0];
    if (!oldest || this.loadingOlder()) return;
    this.loadingOlder.set(true);
    this.olderError.set(null);
    this.api
      .events(this.id(), oldest.id, DEPLOYMENT_EVENT_PAGING.page)
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe({
        next: (page) => {
          const kept = new Map(this.kept());
          for (const event of [...this.timeline(), ...page.items]) kept.set(event.id, event);
          this.kept.set(kept);
          this.loadingOlder.set(false);
        },
        error: (error: unknown) => {
          this.olderError.set(apiErrorMessage(error));
          this.loadingOlder.set(false);
        },
      });
  }
}

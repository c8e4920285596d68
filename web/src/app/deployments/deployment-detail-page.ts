import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, effect, inject, input, untracked } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { RouterLink } from '@angular/router';
import { SOCKET_EVENTS, type DeploymentDetailDto, type DeploymentsUpdatedEvent } from '@rpi-deploy/contracts';
import type { ChartConfiguration } from 'chart.js';
import { filter, throttleTime } from 'rxjs';
import { DeploymentsApi } from '../api/deployments-api';
import { formatDuration, formatSize } from '../format/units';
import { Loadable } from '../http/loadable';
import { LiveSocket } from '../live/live-socket';
import { ChartCanvas } from '../shared/chart-canvas';
import { ChartPaletteService } from '../shared/chart-palette';
import { Notice } from '../shared/notice';
import { StatusChip } from '../shared/status-chip';
import { durationSeconds } from './deployment-duration';
import { throughputSeries } from './throughput-series';
import { transferSummary } from './transfer-summary';

/** One deployment: the unit, the image, its event timeline and the throughput it reached. */
@Component({
  selector: 'app-deployment-detail-page',
  imports: [ChartCanvas, DatePipe, MatIconModule, MatProgressBarModule, Notice, RouterLink, StatusChip],
  templateUrl: './deployment-detail-page.html',
  styleUrl: './deployment-detail-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DeploymentDetailPage {
  private readonly api = inject(DeploymentsApi);
  private readonly palette = inject(ChartPaletteService).palette;

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
  protected readonly events = computed(() => [...(this.deployment()?.events ?? [])].reverse());
  protected readonly chart = computed<ChartConfiguration | null>(() => {
    const deployment = this.deployment();
    if (!deployment) return null;
    const series = throughputSeries(deployment.events, deployment.startedAt);
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
      untracked(() => this.detail.reload());
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
}

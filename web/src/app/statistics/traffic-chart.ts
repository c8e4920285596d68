import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { SOCKET_EVENTS, type TrafficSample } from '@rpi-deploy/contracts';
import type { ChartConfiguration } from 'chart.js';
import { DeploymentsApi } from '../api/deployments-api';
import { apiErrorMessage } from '../http/api-error-message';
import { LiveSocket } from '../live/live-socket';
import { ByteSources } from '../shared/byte-sources';
import { ChartCanvas } from '../shared/chart-canvas';
import { ChartPaletteService } from '../shared/chart-palette';
import { Notice } from '../shared/notice';
import { addSample, trafficSeries } from './traffic';

/**
 * The fleet's network over the last 30 minutes, live: MB/s from the server's link and from
 * units passing chunks to each other (stacked, so their top is the total throughput), and the
 * bytes of the whole window by source. Reloads its history after every reconnection.
 */
@Component({
  selector: 'app-traffic-chart',
  imports: [ByteSources, ChartCanvas, Notice],
  template: `
    @if (error(); as message) {
      <app-notice kind="error">{{ message }}</app-notice>
    }
    @if (series(); as series) {
      <app-chart-canvas
        [config]="chart()!"
        label="MB/s the units received from the server and from peers, and in all, over the last 30 minutes"
      />
      <app-byte-sources class="window" [server]="series.serverBytes" [peers]="series.peerBytes" />
      <p class="now">
        Now: <strong data-testid="traffic-total">{{ latestTotal() }} MB/s</strong> in all · {{ latestServer() }} MB/s
        from the server · {{ latestPeers() }} MB/s from peers
      </p>
    }
  `,
  styles: `
    .window {
      margin-top: 12px;
    }
    .now {
      margin: 4px 0 0;
      font-variant-numeric: tabular-nums;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TrafficChart {
  private readonly api = inject(DeploymentsApi);
  private readonly live = inject(LiveSocket);
  private readonly palette = inject(ChartPaletteService).palette;

  private readonly samples = signal<TrafficSample[] | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly series = computed(() => {
    const samples = this.samples();
    return samples ? trafficSeries(samples) : null;
  });
  protected readonly latestTotal = computed(() => this.series()?.totalMBps.at(-1) ?? 0);
  protected readonly latestServer = computed(() => this.series()?.serverMBps.at(-1) ?? 0);
  protected readonly latestPeers = computed(() => this.series()?.peerMBps.at(-1) ?? 0);
  protected readonly chart = computed<ChartConfiguration | null>(() => {
    const series = this.series();
    if (!series) return null;
    const colors = this.palette();
    const axis = { ticks: { color: colors.text }, grid: { color: colors.grid } };
    const area = (label: string, data: number[], color: string, fill: 'origin' | '-1') => ({
      label,
      data,
      borderColor: color,
      backgroundColor: color,
      fill,
      pointRadius: 0,
      stack: 'sources',
    });
    return {
      type: 'line',
      data: {
        labels: series.labels,
        datasets: [
          area('From the server', series.serverMBps, colors.primary, 'origin'),
          area('From peers', series.peerMBps, colors.success, '-1'),
          {
            label: 'Total',
            data: series.totalMBps,
            borderColor: colors.text,
            backgroundColor: colors.text,
            borderDash: [4, 4],
            pointRadius: 0,
            fill: false,
            stack: 'total',
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { ...axis, ticks: { color: colors.text, maxTicksLimit: 8 } },
          y: {
            ...axis,
            stacked: true,
            beginAtZero: true,
            title: { display: true, text: 'MB/s', color: colors.text },
          },
        },
        plugins: { legend: { labels: { color: colors.text } } },
      },
    };
  });

  constructor() {
    this.live
      .on<TrafficSample>(SOCKET_EVENTS.trafficSampled)
      .pipe(takeUntilDestroyed())
      .subscribe((sample) => this.samples.update((held) => (held ? addSample(held, sample) : held)));
    this.live.connected$.pipe(takeUntilDestroyed()).subscribe(() => this.reload());
    this.reload();
  }

  private reload(): void {
    this.api.traffic().subscribe({
      next: (history) => {
        // Samples that came live while the history was on its way are kept.
        const live = this.samples() ?? [];
        this.samples.set(live.reduce((all, sample) => addSample(all, sample), history));
        this.error.set(null);
      },
      error: (error: unknown) => this.error.set(apiErrorMessage(error)),
    });
  }
}

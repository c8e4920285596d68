import { DecimalPipe, PercentPipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import type { DeploymentDto, DeploymentStats } from '@rpi-deploy/contracts';
import type { ChartConfiguration } from 'chart.js';
import { EMPTY, expand, forkJoin, map, reduce, type Observable } from 'rxjs';
import { DeploymentsApi } from '../api/deployments-api';
import { formatDuration, formatRate } from '../format/units';
import { Loadable } from '../http/loadable';
import { ChartCanvas } from '../shared/chart-canvas';
import { ChartPaletteService, type ChartPalette } from '../shared/chart-palette';
import { Notice } from '../shared/notice';
import {
  deploymentsPerDay,
  histogram,
  successDurationsMinutes,
  successThroughputsMBps,
  type Histogram,
} from './statistics';
import { TrafficChart } from './traffic-chart';

const DAYS = 30;
const PAGE_SIZE = 500;
/** Enough history for the charts without loading a huge fleet's month in full. */
const MAX_PAGES = 20;
const DURATION_EDGES_MIN = [2, 4, 6, 8, 10, 15, 20, 30];
const THROUGHPUT_EDGES_MBPS = [5, 10, 20, 30, 40, 60, 80];

/**
 * Charts of the last 30 days (per day by outcome, how long and how fast, per venue) and, live, the
 * fleet's network traffic of the last 30 minutes by source.
 */
@Component({
  selector: 'app-statistics-page',
  imports: [ChartCanvas, DecimalPipe, MatProgressBarModule, Notice, PercentPipe, TrafficChart],
  templateUrl: './statistics-page.html',
  styleUrl: './statistics-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class StatisticsPage {
  private readonly api = inject(DeploymentsApi);
  private readonly palette = inject(ChartPaletteService).palette;

  protected readonly figures = new Loadable<{ stats: DeploymentStats; deployments: DeploymentDto[] } | null>(
    () => forkJoin({ stats: this.api.stats(), deployments: this.history() }),
    null,
  );
  protected readonly stats = computed(() => this.figures.value()?.stats ?? null);
  protected readonly deployments = computed(() => this.figures.value()?.deployments ?? null);
  protected readonly formatDuration = formatDuration;
  protected readonly formatRate = formatRate;

  protected readonly perDay = computed(() => {
    const deployments = this.deployments();
    return deployments ? deploymentsPerDay(deployments, DAYS, Date.now()) : null;
  });
  protected readonly perDayChart = computed<ChartConfiguration | null>(() => {
    const perDay = this.perDay();
    if (!perDay) return null;
    const colors = this.palette();
    return barChart(
      colors,
      perDay.days.map((day) => day.slice(5)),
      [
        { label: 'Succeeded', data: perDay.success, color: colors.success },
        { label: 'Failed', data: perDay.failed, color: colors.failed },
        { label: 'In progress', data: perDay.inProgress, color: colors.working },
      ],
      true,
    );
  });
  protected readonly durations = computed(() =>
    histogram(successDurationsMinutes(this.deployments() ?? []), DURATION_EDGES_MIN, 'min'),
  );
  protected readonly throughputs = computed(() =>
    histogram(successThroughputsMBps(this.deployments() ?? []), THROUGHPUT_EDGES_MBPS, 'MB/s'),
  );
  protected readonly durationChart = computed(() => this.histogramChart(this.durations(), 'Deployments'));
  protected readonly throughputChart = computed(() => this.histogramChart(this.throughputs(), 'Deployments'));
  protected readonly venueChart = computed<ChartConfiguration | null>(() => {
    const stats = this.stats();
    if (!stats) return null;
    const colors = this.palette();
    const venues = stats.perVenue;
    return barChart(
      colors,
      venues.map((venue) => venue.venue),
      [
        { label: 'Succeeded', data: venues.map((venue) => venue.success), color: colors.success },
        { label: 'Failed', data: venues.map((venue) => venue.failed), color: colors.failed },
        { label: 'In progress', data: venues.map((venue) => venue.inProgress), color: colors.working },
      ],
      true,
    );
  });

  constructor() {
    this.figures.reload();
  }

  /** The last DAYS of deployments, page by page, up to MAX_PAGES. */
  private history(): Observable<DeploymentDto[]> {
    const from = new Date(Date.now() - DAYS * 86_400_000).toISOString();
    return this.api.list({ from }, 1, PAGE_SIZE).pipe(
      expand((page) =>
        page.page * page.pageSize < page.total && page.page < MAX_PAGES
          ? this.api.list({ from }, page.page + 1, PAGE_SIZE)
          : EMPTY,
      ),
      map((page) => page.items),
      reduce((all, items) => all.concat(items), [] as DeploymentDto[]),
    );
  }

  private histogramChart(data: Histogram, label: string): ChartConfiguration {
    const colors = this.palette();
    return barChart(colors, data.labels, [{ label, data: data.counts, color: colors.primary }], false);
  }
}

function barChart(
  colors: ChartPalette,
  labels: string[],
  datasets: Array<{ label: string; data: number[]; color: string }>,
  stacked: boolean,
): ChartConfiguration {
  const axis = { ticks: { color: colors.text }, grid: { color: colors.grid } };
  return {
    type: 'bar',
    data: {
      labels,
      datasets: datasets.map((set) => ({
        label: set.label,
        data: set.data,
        backgroundColor: set.color,
        maxBarThickness: 56,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { ...axis, stacked },
        y: { ...axis, stacked, beginAtZero: true, ticks: { color: colors.text, precision: 0 } },
      },
      plugins: { legend: { display: datasets.length > 1, labels: { color: colors.text } } },
    },
  };
}

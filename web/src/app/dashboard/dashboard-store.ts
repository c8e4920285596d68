import { DestroyRef, inject, Injectable, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import {
  SOCKET_EVENTS,
  type BatchDto,
  type DeploymentsUpdatedEvent,
  type DeploymentStats,
  type DevicesSeenEvent,
  type NetbootDeviceDto,
} from '@rpi-deploy/contracts';
import { forkJoin } from 'rxjs';
import { BatchesApi } from '../api/batches-api';
import { DeploymentsApi } from '../api/deployments-api';
import { NetbootApi } from '../api/netboot-api';
import { apiErrorMessage } from '../http/api-error-message';
import { LiveSocket } from '../live/live-socket';
import { applyUpdates, isFinished, type LiveUnits } from './live-units';
import { mergeDevices } from './netbooting-devices';

/** How far back the dashboard looks when it (re)loads: one working day of units. */
const WINDOW_MS = 12 * 60 * 60 * 1000;
const SNAPSHOT_SIZE = 300;
/** Batch progress comes from the API; reloads are held back until reports calm down. */
const BATCH_RELOAD_DELAY_MS = 1_000;

export type NetbootAvailability = 'loading' | 'available' | 'failed';

/**
 * The dashboard's live state: a snapshot from the API, kept current by socket events, reloaded
 * after every reconnection (events sent while the server was away are lost).
 */
@Injectable()
export class DashboardStore {
  private readonly deploymentsApi = inject(DeploymentsApi);
  private readonly batchesApi = inject(BatchesApi);
  private readonly netbootApi = inject(NetbootApi);
  private readonly live = inject(LiveSocket);
  private batchReloadTimer: ReturnType<typeof setTimeout> | undefined;

  readonly units = signal<LiveUnits>(new Map());
  readonly stats = signal<DeploymentStats | null>(null);
  readonly batches = signal<BatchDto[]>([]);
  readonly devices = signal<NetbootDeviceDto[]>([]);
  readonly netboot = signal<NetbootAvailability>('loading');
  readonly loadError = signal<string | null>(null);
  readonly loaded = signal(false);
  readonly connection = this.live.state;

  constructor() {
    this.live
      .on<DeploymentsUpdatedEvent>(SOCKET_EVENTS.deploymentsUpdated)
      .pipe(takeUntilDestroyed())
      .subscribe((batch) => this.applyUnitUpdates(batch));
    this.live
      .on<DeploymentStats>(SOCKET_EVENTS.statsUpdated)
      .pipe(takeUntilDestroyed())
      .subscribe((stats) => this.stats.set(stats));
    this.live
      .on<DevicesSeenEvent>(SOCKET_EVENTS.devicesSeen)
      .pipe(takeUntilDestroyed())
      .subscribe((seen) => this.devices.update((current) => mergeDevices(current, seen)));
    this.live.connected$.pipe(takeUntilDestroyed()).subscribe(() => this.reload());
    inject(DestroyRef).onDestroy(() => clearTimeout(this.batchReloadTimer));
    this.reload();
  }

  /** Loads everything the page shows; live events arriving meanwhile are merged, never lost. */
  reload(): void {
    const from = new Date(Date.now() - WINDOW_MS).toISOString();
    forkJoin({
      page: this.deploymentsApi.list({ from }, 1, SNAPSHOT_SIZE),
      stats: this.deploymentsApi.stats(),
      batches: this.batchesApi.list(),
    }).subscribe({
      next: ({ page, stats, batches }) => {
        this.units.update((units) => applyUpdates(units, page.items));
        this.stats.set(stats);
        this.batches.set(batches);
        this.loadError.set(null);
        this.loaded.set(true);
      },
      error: (error: unknown) => this.loadError.set(apiErrorMessage(error)),
    });
    this.netbootApi.devices().subscribe({
      next: (devices) => {
        this.devices.set(devices);
        this.netboot.set('available');
      },
      error: () => this.netboot.set('failed'),
    });
  }

  /** One batch from the server, in one signal update. */
  private applyUnitUpdates(updates: DeploymentsUpdatedEvent): void {
    const before = this.units();
    this.units.set(applyUpdates(before, updates));
    // A new unit took a hostname (batch count moves) or one finished (batch may complete).
    if (updates.some((update) => !before.has(update.id) || isFinished(update.status))) this.scheduleBatchReload();
  }

  private scheduleBatchReload(): void {
    if (this.batchReloadTimer) return;
    this.batchReloadTimer = setTimeout(() => {
      this.batchReloadTimer = undefined;
      this.batchesApi.list().subscribe({ next: (batches) => this.batches.set(batches), error: () => undefined });
    }, BATCH_RELOAD_DELAY_MS);
  }
}

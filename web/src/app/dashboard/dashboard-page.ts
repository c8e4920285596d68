import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatIconModule } from '@angular/material/icon';
import { RouterLink } from '@angular/router';
import type { DashboardView } from '@rpi-deploy/contracts';
import { interval } from 'rxjs';
import { PreferencesApi } from '../api/preferences-api';
import { BatchProgress } from '../batches/batch-progress';
import { Notice } from '../shared/notice';
import { DashboardCounters } from './dashboard-counters';
import { DashboardStore } from './dashboard-store';
import { isFinished, orderUnits } from './live-units';
import { NetbootingUnits } from './netbooting-units';
import { UnitCard } from './unit-card';
import { UnitWall } from './wall/unit-wall';

const CONNECTION_LABELS = { connecting: 'Connecting…', connected: 'Live', reconnecting: 'Reconnecting…' } as const;

@Component({
  selector: 'app-dashboard-page',
  imports: [
    BatchProgress,
    DashboardCounters,
    MatButtonToggleModule,
    MatIconModule,
    NetbootingUnits,
    Notice,
    RouterLink,
    UnitCard,
    UnitWall,
  ],
  providers: [DashboardStore],
  templateUrl: './dashboard-page.html',
  styleUrl: './dashboard-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DashboardPage {
  protected readonly store = inject(DashboardStore);
  private readonly preferences = inject(PreferencesApi);
  /** Cards or wall, as the user last chose (kept on the server); null until known, so nothing flashes. */
  protected readonly view = signal<DashboardView | null>(null);
  /** One clock for every elapsed time on the page. */
  protected readonly now = signal(Date.now());

  protected readonly units = computed(() => orderUnits(this.store.units()));
  protected readonly inProgress = computed(
    () => [...this.store.units().values()].filter((unit) => !isFinished(unit.deployment.status)).length,
  );
  /** Batches at work; when none is, the one that finished last (staff like to see it reached its count). */
  protected readonly shownBatches = computed(() => {
    const batches = this.store.batches();
    const open = batches.filter((batch) => batch.status === 'active' || batch.status === 'paused');
    if (open.length > 0) return open;
    const finished = batches
      .filter((batch) => batch.status === 'completed' && batch.finishedAt)
      .sort((a, b) => b.finishedAt!.localeCompare(a.finishedAt!));
    return finished.slice(0, 1);
  });
  protected readonly connectionLabel = computed(() => CONNECTION_LABELS[this.store.connection()]);

  constructor() {
    this.preferences.get().subscribe({
      next: (preferences) => this.view.set(preferences.dashboardView),
      error: () => this.view.set('cards'),
    });
    interval(1_000)
      .pipe(takeUntilDestroyed())
      .subscribe(() => this.now.set(Date.now()));
  }

  protected chooseView(view: DashboardView): void {
    this.view.set(view);
    // The choice shows at once; saving it only decides whether the next visit remembers it.
    this.preferences.update({ dashboardView: view }).subscribe({ error: () => undefined });
  }
}

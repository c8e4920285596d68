import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatSelectModule } from '@angular/material/select';
import { RouterLink } from '@angular/router';
import type { BatchDto } from '@rpi-deploy/contracts';
import type { LiveUnits } from '../live-units';
import { UnitCardDialog, type UnitCardDialogData } from './unit-card-dialog';
import { WallTile } from './wall-tile';
import {
  filterWall,
  NO_WALL_FILTER,
  wallOrder,
  wallState,
  wallVenues,
  type WallFilter,
  type WallState,
} from './wall-units';

const STATE_LABELS: Record<WallState, string> = {
  failed: 'Failed',
  silent: 'Silent',
  working: 'Working',
  success: 'Done',
};

/**
 * The dashboard at fleet scale: one small tile per unit, those needing a person first, with
 * filters by state, batch and venue. A tile opens the unit's full card in a dialog.
 */
@Component({
  selector: 'app-unit-wall',
  imports: [
    MatButtonModule,
    MatButtonToggleModule,
    MatFormFieldModule,
    MatIconModule,
    MatSelectModule,
    RouterLink,
    WallTile,
  ],
  templateUrl: './unit-wall.html',
  styleUrl: './unit-wall.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class UnitWall {
  private readonly dialog = inject(MatDialog);

  readonly units = input.required<LiveUnits>();
  readonly batches = input.required<BatchDto[]>();
  /** The page's clock: a unit turns silent as time passes, without any event. */
  readonly now = input.required<number>();

  protected readonly filter = signal<WallFilter>(NO_WALL_FILTER);
  protected readonly stateOptions = Object.entries(STATE_LABELS) as Array<[WallState, string]>;
  protected readonly venues = computed(() => wallVenues(this.units()));
  protected readonly tiles = computed(() => {
    const now = this.now();
    return filterWall(wallOrder(this.units(), now), this.filter(), now).map((unit) => ({
      unit,
      state: wallState(unit, now),
    }));
  });
  /** The shown units' deployments, for the labels page. */
  protected readonly labelIds = computed(() =>
    this.tiles()
      .map((tile) => tile.unit.deployment.id)
      .join(','),
  );

  protected setFilter(change: Partial<WallFilter>): void {
    this.filter.update((filter) => ({ ...filter, ...change }));
  }

  protected open(deploymentId: string): void {
    const data: UnitCardDialogData = { unit: computed(() => this.units().get(deploymentId)), now: this.now };
    this.dialog.open(UnitCardDialog, { data, width: '420px', autoFocus: 'dialog' });
  }
}

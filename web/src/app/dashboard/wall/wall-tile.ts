import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import type { LiveUnit } from '../live-units';
import type { WallState } from './wall-units';

/**
 * One unit on the wall: hostname, a colour for its state (named in text too), its percent, and
 * on failure what staff need to find and read it. OnPush with the unit as its input: a live event
 * redraws only the tiles whose unit changed.
 */
@Component({
  selector: 'app-wall-tile',
  templateUrl: './wall-tile.html',
  styleUrl: './wall-tile.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class WallTile {
  readonly unit = input.required<LiveUnit>();
  readonly state = input.required<WallState>();
  /**
   * The failure's LED code, as the unit blinks it and the printed card explains it. Set by the
   * wall once failures carry a class (issue 18, failure classes); until then the tile shows the
   * failure's cause instead.
   */
  readonly ledCode = input<string | null>(null);
  readonly opened = output<string>();

  protected readonly deployment = computed(() => this.unit().deployment);
  protected readonly detail = computed(() => {
    const deployment = this.deployment();
    if (this.state() === 'failed') return this.ledCode() ? `LED ${this.ledCode()}` : (deployment.error ?? 'failed');
    if (this.state() === 'silent') return `silent · ${deployment.status}`;
    return deployment.status;
  });
  protected readonly label = computed(
    () => `${this.deployment().hostname}: ${this.state()}, ${this.deployment().progress} %, ${this.detail()}`,
  );
}

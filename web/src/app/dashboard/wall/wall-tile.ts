import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import { FAILURE_CODES } from '@rpi-deploy/contracts';
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
  readonly opened = output<string>();

  protected readonly deployment = computed(() => this.unit().deployment);
  /**
   * The failure's LED code as the unit blinks it (the LED codes page explains it); failures the
   * server decided (silence, a restart) have none, and the tile shows their cause instead.
   */
  private readonly ledCode = computed(() => {
    const code = this.deployment().failureCode;
    return code ? `${FAILURE_CODES[code].blinks} red` : null;
  });
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

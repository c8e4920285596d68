import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { formatPercent, formatSize } from '../format/units';

/**
 * Where a unit's bytes came from: a two-part bar (the server's share, the peers' share) and the
 * same in words, "62 % from peers", so the colour is never the only cue.
 */
@Component({
  selector: 'app-byte-sources',
  template: `
    <div class="bar" role="img" [attr.aria-label]="share()">
      <span class="server" [style.flex-grow]="server()"></span>
      <span class="peers" [style.flex-grow]="peers()"></span>
    </div>
    <p class="words">
      <span class="swatch server" aria-hidden="true"></span>from server {{ serverSize() }} ·
      <span class="swatch peers" aria-hidden="true"></span>from peers {{ peerSize() }} ·
      <strong>{{ share() }}</strong>
    </p>
  `,
  styles: `
    :host {
      display: flex;
      flex-direction: column;
      gap: 4px;
    }
    .bar {
      display: flex;
      height: 6px;
      border-radius: 3px;
      overflow: hidden;
      background: var(--mat-sys-surface-container-highest);
    }
    .server {
      background: var(--mat-sys-primary);
    }
    .peers {
      background: var(--app-success);
    }
    .words {
      margin: 0;
      font: var(--mat-sys-body-small);
      color: var(--mat-sys-on-surface-variant);
      font-variant-numeric: tabular-nums;
    }
    .swatch {
      display: inline-block;
      width: 8px;
      height: 8px;
      margin-right: 4px;
      border-radius: 2px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ByteSources {
  readonly server = input.required<number>();
  readonly peers = input.required<number>();

  protected readonly serverSize = computed(() => formatSize(this.server()));
  protected readonly peerSize = computed(() => formatSize(this.peers()));
  protected readonly share = computed(() => {
    const total = this.server() + this.peers();
    return `${total > 0 ? formatPercent(this.peers() / total) : '0 %'} from peers`;
  });
}

import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';

/** Tone of a status: colour is never the only cue, the text always names the status too. */
export type StatusTone = 'neutral' | 'working' | 'good' | 'bad' | 'warn';

const TONES: Record<string, StatusTone> = {
  success: 'good',
  completed: 'good',
  available: 'good',
  active: 'working',
  failed: 'bad',
  cancelled: 'neutral',
  retired: 'neutral',
  paused: 'warn',
  pending: 'neutral',
  assigned: 'working',
  starting: 'working',
  downloading: 'working',
  verifying: 'working',
  customizing: 'working',
};

/** A small coloured label for a status word (deployment, batch, hostname). */
@Component({
  selector: 'app-status-chip',
  template: `<span class="chip" [class]="tone()">{{ status() }}</span>`,
  styles: `
    .chip {
      display: inline-block;
      padding: 2px 10px;
      border-radius: 12px;
      font: var(--mat-sys-label-medium);
      white-space: nowrap;
      background: var(--mat-sys-surface-container-highest);
      color: var(--mat-sys-on-surface);
    }
    .working {
      background: var(--mat-sys-primary-container);
      color: var(--mat-sys-on-primary-container);
    }
    .good {
      background: var(--app-success-container);
      color: var(--app-on-success-container);
    }
    .bad {
      background: var(--mat-sys-error-container);
      color: var(--mat-sys-on-error-container);
    }
    .warn {
      background: var(--mat-sys-tertiary-container);
      color: var(--mat-sys-on-tertiary-container);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class StatusChip {
  readonly status = input.required<string>();
  protected readonly tone = computed(() => TONES[this.status()] ?? 'neutral');
}

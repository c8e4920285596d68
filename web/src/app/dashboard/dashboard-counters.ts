import { ChangeDetectionStrategy, Component, input } from '@angular/core';

/** The three numbers staff glance at first: at work now, done today, failed today. */
@Component({
  selector: 'app-dashboard-counters',
  template: `
    <ul class="counters" aria-label="Today">
      <li class="working">
        <span class="value">{{ inProgress() }}</span><span class="label">in progress</span>
      </li>
      <li class="good">
        <span class="value">{{ succeeded() ?? '–' }}</span><span class="label">succeeded today</span>
      </li>
      <li class="bad" [class.alarm]="(failed() ?? 0) > 0">
        <span class="value">{{ failed() ?? '–' }}</span><span class="label">failed today</span>
      </li>
    </ul>
  `,
  styles: `
    .counters {
      display: grid;
      grid-template-columns: repeat(3, minmax(0, 1fr));
      gap: 12px;
      margin: 0;
      padding: 0;
      list-style: none;
    }
    li {
      display: flex;
      flex-direction: column;
      padding: 12px 16px;
      border-radius: var(--mat-sys-corner-medium);
      background: var(--mat-sys-surface-container);
      border-top: 4px solid var(--mat-sys-primary);
    }
    .good {
      border-top-color: var(--app-success);
    }
    .bad {
      border-top-color: var(--mat-sys-error);
    }
    .alarm {
      background: var(--mat-sys-error-container);
      color: var(--mat-sys-on-error-container);
    }
    .value {
      font: var(--mat-sys-display-small);
      font-variant-numeric: tabular-nums;
    }
    .label {
      font: var(--mat-sys-label-large);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DashboardCounters {
  readonly inProgress = input.required<number>();
  readonly succeeded = input.required<number | null>();
  readonly failed = input.required<number | null>();
}

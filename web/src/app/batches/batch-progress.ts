import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import type { BatchDto } from '@rpi-deploy/contracts';

/** How far a batch is: hostnames handed out of the units it asked for. */
@Component({
  selector: 'app-batch-progress',
  imports: [MatProgressBarModule],
  template: `
    <div class="progress">
      <mat-progress-bar mode="determinate" [value]="percent()" [attr.aria-label]="label()" />
      <span class="count">{{ batch().assigned }} / {{ batch().count }}</span>
    </div>
  `,
  styles: `
    .progress {
      display: flex;
      align-items: center;
      gap: 8px;
      min-width: 140px;
    }
    mat-progress-bar {
      flex: 1;
    }
    .count {
      font-variant-numeric: tabular-nums;
      white-space: nowrap;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class BatchProgress {
  readonly batch = input.required<BatchDto>();
  protected readonly percent = computed(() => {
    const { assigned, count } = this.batch();
    return count > 0 ? Math.min(100, (assigned / count) * 100) : 0;
  });
  protected readonly label = computed(() => `Batch ${this.batch().id} progress`);
}

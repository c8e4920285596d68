import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { MatIconModule } from '@angular/material/icon';
import { RouterLink } from '@angular/router';
import { FAILURE_CODES, type FailureCode } from '@rpi-deploy/contracts';

/** Why a unit failed, as its installer classified it, with the blink count its red LED shows. */
@Component({
  selector: 'app-failure-code-note',
  imports: [MatIconModule, RouterLink],
  template: `
    <p class="failure-code">
      <mat-icon aria-hidden="true">emergency</mat-icon>
      <span
        ><strong>{{ info().title }}</strong> · {{ info().transient ? 'retries by itself' : 'stopped, waits' }} · LED
        code
        <a routerLink="/led-codes" [attr.aria-label]="'LED code ' + info().blinks + ': what the codes mean'"
          >{{ info().blinks }} red blinks</a
        ></span
      >
    </p>
  `,
  styles: `
    .failure-code {
      display: flex;
      gap: 6px;
      margin: 0;
      align-items: center;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class FailureCodeNote {
  readonly code = input.required<FailureCode>();

  protected readonly info = computed(() => {
    const { title, blinks, failureClass } = FAILURE_CODES[this.code()];
    return { title, blinks, transient: failureClass === 'transient' };
  });
}

import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { MatIconModule } from '@angular/material/icon';
import type { ImpersonationWarning } from '@rpi-deploy/contracts';

/**
 * Another device asked for this unit's configuration while its deployment was open and was
 * refused: the operators should know, as it may be a misconfigured unit or someone on the
 * deployment network pretending to be this one.
 */
@Component({
  selector: 'app-impersonation-warning',
  imports: [DatePipe, MatIconModule],
  template: `
    <p class="impersonation" role="status">
      <mat-icon aria-hidden="true">gpp_maybe</mat-icon>
      <span
        ><strong>Warning:</strong> another device (MAC <span class="mono">{{ warning().mac }}</span>, IP
        <span class="mono">{{ warning().ip ?? 'unknown' }}</span>) asked for this unit's configuration at
        <time [attr.datetime]="warning().at">{{ warning().at | date: 'HH:mm:ss' }}</time> and was refused</span
      >
    </p>
  `,
  styles: `
    .impersonation {
      display: flex;
      align-items: flex-start;
      gap: 6px;
      margin: 0;
      padding: 6px 8px;
      border-radius: var(--mat-sys-corner-small);
      background: var(--mat-sys-tertiary-container);
      color: var(--mat-sys-on-tertiary-container);
      font: var(--mat-sys-body-small);
      overflow-wrap: anywhere;
    }
    mat-icon {
      flex: none;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ImpersonationWarningNote {
  readonly warning = input.required<ImpersonationWarning>();
}

import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { MatIconModule } from '@angular/material/icon';

export type NoticeKind = 'error' | 'info' | 'success';

const ICONS: Record<NoticeKind, string> = { error: 'error', info: 'info', success: 'check_circle' };

/** An inline message above or inside a section: errors are announced as alerts, the rest politely. */
@Component({
  selector: 'app-notice',
  imports: [MatIconModule],
  template: `
    <div class="notice" [class]="kind()" [attr.role]="kind() === 'error' ? 'alert' : 'status'">
      <mat-icon aria-hidden="true">{{ icon() }}</mat-icon>
      <span><ng-content /></span>
    </div>
  `,
  styles: `
    .notice {
      display: flex;
      align-items: center;
      gap: 8px;
      margin: 8px 0;
      padding: 10px 12px;
      border-radius: var(--mat-sys-corner-small);
      font: var(--mat-sys-body-medium);
    }
    .error {
      background: var(--mat-sys-error-container);
      color: var(--mat-sys-on-error-container);
    }
    .info {
      background: var(--mat-sys-secondary-container);
      color: var(--mat-sys-on-secondary-container);
    }
    .success {
      background: var(--app-success-container);
      color: var(--app-on-success-container);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Notice {
  readonly kind = input<NoticeKind>('info');
  protected icon(): string {
    return ICONS[this.kind()];
  }
}

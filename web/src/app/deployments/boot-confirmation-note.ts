import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { MatIconModule } from '@angular/material/icon';
import type { BootConfirmation } from '@rpi-deploy/contracts';
import { formatDuration } from '../format/units';

/**
 * Whether a successful unit's first boot into the product was heard: installed and waiting,
 * booted (with what the unit said about itself, and a warning when it booted under another
 * hostname), or not confirmed in time (amber: go and look at that unit).
 */
@Component({
  selector: 'app-boot-confirmation',
  imports: [DatePipe, MatIconModule],
  template: `
    @let b = boot();
    <div class="boot" [class]="b.state" role="status">
      @switch (b.state) {
        @case ('waiting') {
          <p><mat-icon aria-hidden="true">hourglass_top</mat-icon><span>Installed, waiting for first boot</span></p>
        }
        @case ('booted') {
          <p>
            <mat-icon aria-hidden="true">verified</mat-icon>
            <span
              ><strong>Booted</strong>
              @if (b.bootedAt) {
                at <time [attr.datetime]="b.bootedAt">{{ b.bootedAt | date: 'HH:mm:ss' }}</time>
              }
              @if (after(); as after) {
                ({{ after }} after install)
              }
            </span>
          </p>
          @if (said(); as said) {
            <p class="said">{{ said }}</p>
          }
        }
        @case ('unconfirmed') {
          <p>
            <mat-icon aria-hidden="true">warning</mat-icon
            ><span><strong>Not confirmed:</strong> installed, but no first boot was reported</span>
          </p>
        }
      }
      @if (b.hostnameMismatch; as mismatch) {
        <p class="mismatch">
          <mat-icon aria-hidden="true">error</mat-icon><span><strong>Warning:</strong> {{ mismatch }}</span>
        </p>
      }
    </div>
  `,
  styles: `
    .boot {
      display: flex;
      flex-direction: column;
      gap: 2px;
      padding: 6px 8px;
      border-radius: var(--mat-sys-corner-small);
      font: var(--mat-sys-body-small);
      overflow-wrap: anywhere;
      background: var(--mat-sys-surface-container-high);
      color: var(--mat-sys-on-surface-variant);
    }
    .booted {
      background: var(--app-success-container);
      color: var(--app-on-success-container);
    }
    /* Amber: a unit to go and look at, short of a failure. */
    .unconfirmed {
      background: light-dark(#ffe0a3, #5c4300);
      color: light-dark(#3d2a00, #ffe0a3);
    }
    p {
      display: flex;
      align-items: flex-start;
      gap: 6px;
      margin: 0;
    }
    .said {
      padding-left: 30px;
    }
    .mismatch {
      color: var(--mat-sys-error);
    }
    mat-icon {
      flex: none;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class BootConfirmationNote {
  readonly boot = input.required<BootConfirmation>();

  protected readonly after = computed(() => {
    const seconds = this.boot().secondsToBoot;
    return seconds === null ? null : formatDuration(seconds);
  });

  /** What the unit said about itself, in one line. */
  protected readonly said = computed(() => {
    const { hostname, address, kernel, imageVersion } = this.boot();
    const parts = [
      hostname && `as ${hostname}`,
      address && `at ${address}`,
      imageVersion && `image ${imageVersion}`,
      kernel && `kernel ${kernel}`,
    ].filter(Boolean);
    return parts.length ? parts.join(', ') : null;
  });
}

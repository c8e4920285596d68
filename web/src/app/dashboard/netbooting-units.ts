import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { NetbootDeviceDto } from '@rpi-deploy/contracts';
import { formatSize } from '../format/units';
import { Notice } from '../shared/notice';
import type { NetbootAvailability } from './dashboard-store';
import { waitingForConfig } from './netbooting-devices';

/** Units seen booting from the network that have not asked for their config yet. */
@Component({
  selector: 'app-netbooting-units',
  imports: [Notice],
  template: `
    @switch (availability()) {
      @case ('failed') {
        <app-notice kind="error">Could not load the units seen netbooting.</app-notice>
      }
      @default {
        @if (waiting().length === 0) {
          <p class="muted">No unit is booting from the network right now.</p>
        } @else {
          <ul class="devices">
            @for (device of waiting(); track device.mac) {
              <li>
                <span class="mono">{{ device.mac }}</span>
                <span>{{ device.ip ?? 'no address yet' }}</span>
                <span>{{ device.phase }}</span>
                <span class="muted">{{ device.filesServed }} files, {{ bytes(device.bytesServed) }}</span>
                @if (device.lastFile) {
                  <span class="muted mono">{{ device.lastFile }}</span>
                }
              </li>
            }
          </ul>
        }
      }
    }
  `,
  styles: `
    .devices {
      margin: 0;
      padding: 0;
      list-style: none;
    }
    li {
      display: flex;
      flex-wrap: wrap;
      gap: 4px 16px;
      padding: 8px 0;
      border-bottom: 1px solid var(--mat-sys-outline-variant);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class NetbootingUnits {
  readonly devices = input.required<NetbootDeviceDto[]>();
  readonly availability = input.required<NetbootAvailability>();
  readonly now = input.required<number>();
  protected readonly waiting = computed(() => waitingForConfig(this.devices(), this.now()));
  protected readonly bytes = formatSize;
}

import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import {
  SOCKET_EVENTS,
  type NetbootDeviceDto,
  type NetbootEventDto,
  type NetbootStatusDto,
  type PreflightReportDto,
} from '@rpi-deploy/contracts';
import { throttleTime } from 'rxjs';
import { NetbootApi } from '../api/netboot-api';
import { Loadable } from '../http/loadable';
import { formatSize } from '../format/units';
import { LiveSocket } from '../live/live-socket';
import { Notice } from '../shared/notice';
import { CapturePanel } from './capture-panel';

/** How many events the page lists. */
const EVENTS_SHOWN = 100;

/** dnsmasq and the TFTP root: are they serving, is everything in place, and who is booting. */
@Component({
  selector: 'app-netboot-page',
  imports: [CapturePanel, DatePipe, MatButtonModule, MatIconModule, MatProgressBarModule, Notice],
  templateUrl: './netboot-page.html',
  styleUrl: './netboot-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class NetbootPage {
  private readonly api = inject(NetbootApi);

  protected readonly status = new Loadable<NetbootStatusDto | null>(() => this.api.status(), null);
  protected readonly preflight = new Loadable<PreflightReportDto | null>(() => this.api.preflight(), null);
  protected readonly config = new Loadable<string | null>(() => this.api.dnsmasqConfig(), null);
  protected readonly devices = new Loadable<NetbootDeviceDto[] | null>(() => this.api.devices(), null);
  protected readonly events = new Loadable<NetbootEventDto[] | null>(() => this.api.events(), null);
  protected readonly recentEvents = computed(() => this.events.value()?.slice(0, EVENTS_SHOWN) ?? []);
  protected readonly bytes = formatSize;

  constructor() {
    this.status.reload();
    this.config.reload();
    this.runPreflight();
    this.reloadActivity();
    // Booting units show up live; the lists are reloaded at most every two seconds.
    inject(LiveSocket)
      .on(SOCKET_EVENTS.devicesSeen)
      .pipe(throttleTime(2_000, undefined, { leading: true, trailing: true }), takeUntilDestroyed())
      .subscribe(() => this.reloadActivity());
  }

  protected runPreflight(): void {
    this.preflight.reload();
  }

  protected reloadActivity(): void {
    this.devices.reload();
    this.events.reload();
  }
}

import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import {
  formatBytes,
  SOCKET_EVENTS,
  type NetbootDeviceDto,
  type NetbootEventDto,
  type NetbootStatusDto,
  type PreflightReportDto,
} from '@rpi-deploy/contracts';
import { throttleTime } from 'rxjs';
import { NetbootApi } from '../api/netboot-api';
import { loadable, loadInto } from '../http/loadable';
import { LiveSocket } from '../live/live-socket';
import { Notice } from '../shared/notice';

/** How many events the page lists. */
const EVENTS_SHOWN = 100;

/** dnsmasq and the TFTP root: are they serving, is everything in place, and who is booting. */
@Component({
  selector: 'app-netboot-page',
  imports: [DatePipe, MatButtonModule, MatIconModule, MatProgressBarModule, Notice],
  templateUrl: './netboot-page.html',
  styleUrl: './netboot-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class NetbootPage {
  private readonly api = inject(NetbootApi);

  protected readonly status = loadable<NetbootStatusDto>();
  protected readonly preflight = loadable<PreflightReportDto>();
  protected readonly config = loadable<string>();
  protected readonly devices = loadable<NetbootDeviceDto[]>();
  protected readonly events = loadable<NetbootEventDto[]>();
  protected readonly recentEvents = computed(() => {
    const events = this.events();
    return events.state === 'ready' ? events.value.slice(0, EVENTS_SHOWN) : [];
  });
  /** Every part answered 404: this server has no netboot support yet. */
  protected readonly unavailable = computed(() =>
    [this.status(), this.preflight(), this.config()].every((part) => part.state === 'missing'),
  );
  protected readonly bytes = (size: number | null | undefined) => formatBytes(size, 'dashboard');

  constructor() {
    loadInto(this.api.status(), this.status);
    loadInto(this.api.dnsmasqConfig(), this.config);
    this.runPreflight();
    this.reloadActivity();
    // Booting units show up live; the lists are reloaded at most every two seconds.
    inject(LiveSocket)
      .on(SOCKET_EVENTS.deviceSeen)
      .pipe(throttleTime(2_000, undefined, { leading: true, trailing: true }), takeUntilDestroyed())
      .subscribe(() => this.reloadActivity());
  }

  protected runPreflight(): void {
    loadInto(this.api.preflight(), this.preflight);
  }

  protected reloadActivity(): void {
    loadInto(this.api.devices(), this.devices);
    loadInto(this.api.events(), this.events);
  }
}

import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component, input, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { SOCKET_EVENTS, type TrafficSample } from '@rpi-deploy/contracts';
import { filter, map, Subject } from 'rxjs';
import type { ChartConfiguration } from 'chart.js';
import { LiveSocket } from '../live/live-socket';
import { ChartCanvas } from '../shared/chart-canvas';
import { TrafficChart } from './traffic-chart';

/** jsdom has no canvas: the chart's configuration is kept for the test to read instead. */
@Component({ selector: 'app-chart-canvas', template: '' })
class ChartStandIn {
  readonly config = input.required<ChartConfiguration>();
  readonly label = input.required<string>();
}

function setUp(live: FakeLiveSocket) {
  TestBed.configureTestingModule({
    providers: [provideHttpClient(), provideHttpClientTesting(), { provide: LiveSocket, useValue: live }],
  });
  TestBed.overrideComponent(TrafficChart, { remove: { imports: [ChartCanvas] }, add: { imports: [ChartStandIn] } });
  return TestBed.inject(HttpTestingController);
}

/** Stands in for the socket: the test sends samples and reconnections by hand. */
class FakeLiveSocket {
  readonly events = new Subject<{ name: string; payload: unknown }>();
  readonly connects = new Subject<void>();
  readonly connected$ = this.connects.asObservable();
  readonly state = signal<'connected'>('connected');
  on<T>(name: string) {
    return this.events.pipe(
      filter((event) => event.name === name),
      map((event) => event.payload as T),
    );
  }
}

const sample = (second: number, serverBytes: number, peerBytes: number): TrafficSample => ({
  at: new Date(Date.UTC(2026, 11, 6, 14, 0, second)).toISOString(),
  seconds: 5,
  serverBytes,
  peerBytes,
});

jest.setTimeout(30_000);

describe('TrafficChart', () => {
  it('shows the history, then each live sample as it comes, and reloads after a reconnection', async () => {
    const live = new FakeLiveSocket();
    const backend = setUp(live);
    const fixture = TestBed.createComponent(TrafficChart);
    const element = fixture.nativeElement as HTMLElement;
    const text = () => element.textContent?.replace(/\s+/g, ' ') ?? '';

    backend.expectOne('/api/deployments/traffic').flush([sample(5, 50e6, 0)]);
    await fixture.whenStable();
    expect(text()).toContain('Now: 10 MB/s in all · 10 MB/s from the server · 0 MB/s from peers');
    expect(element.querySelector('app-byte-sources [role="img"]')?.getAttribute('aria-label')).toBe('0 % from peers');

    live.events.next({ name: SOCKET_EVENTS.trafficSampled, payload: sample(10, 10e6, 40e6) });
    await fixture.whenStable();
    expect(text()).toContain('Now: 10 MB/s in all · 2 MB/s from the server · 8 MB/s from peers');
    expect(element.querySelector('app-byte-sources [role="img"]')?.getAttribute('aria-label')).toBe('40 % from peers');
    const chart = fixture.debugElement.query((node) => node.componentInstance instanceof ChartStandIn)
      .componentInstance as ChartStandIn;
    expect(chart.config().data.datasets.map((set) => [set.label, set.data])).toEqual([
      ['From the server', [10, 2]],
      ['From peers', [0, 8]],
      ['Total', [10, 10]],
    ]);

    live.connects.next();
    backend.expectOne('/api/deployments/traffic').flush([sample(5, 50e6, 0), sample(10, 10e6, 40e6), sample(15, 0, 0)]);
    await fixture.whenStable();
    expect(text()).toContain('Now: 0 MB/s in all');
    backend.verify();
  });

  it('says why when the history cannot be loaded', async () => {
    const backend = setUp(new FakeLiveSocket());
    const fixture = TestBed.createComponent(TrafficChart);
    backend
      .expectOne('/api/deployments/traffic')
      .flush({ message: 'Server restarting' }, { status: 503, statusText: 'Service Unavailable' });
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).querySelector('app-notice')?.textContent).toContain(
      'Server restarting',
    );
  });
});

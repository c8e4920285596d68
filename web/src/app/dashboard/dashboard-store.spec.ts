import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Injector, runInInjectionContext, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { SOCKET_EVENTS, type DeploymentDto, type DeploymentStats, type NetbootDeviceDto } from '@rpi-deploy/contracts';
import { filter, map, Subject } from 'rxjs';
import { LiveSocket } from '../live/live-socket';
import { DashboardStore } from './dashboard-store';
import { at, deploymentDto } from './testing/deployment-dto';

/** Stands in for the socket: the test emits events and (re)connections by hand. */
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

/** A unit at work, named after its id. */
function deployment(id: string, overrides: Partial<DeploymentDto> = {}): DeploymentDto {
  return deploymentDto({ id, status: 'downloading', hostname: `KXP2-CORO-${id}`, ...overrides });
}

const stats = { today: { total: 0, success: 0, failed: 0, inProgress: 0 } } as DeploymentStats;

describe('DashboardStore', () => {
  let backend: HttpTestingController;
  let live: FakeLiveSocket;
  let store: DashboardStore;

  beforeEach(() => {
    jest.useFakeTimers();
    live = new FakeLiveSocket();
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), { provide: LiveSocket, useValue: live }],
    });
    backend = TestBed.inject(HttpTestingController);
    store = runInInjectionContext(TestBed.inject(Injector), () => new DashboardStore());
  });

  afterEach(() => {
    backend.verify();
    jest.useRealTimers();
  });

  /** Answers the snapshot requests the store makes when it (re)loads. */
  function answerSnapshot(items: DeploymentDto[]): void {
    backend
      .expectOne((request) => request.url === '/api/deployments')
      .flush({ items, total: items.length, page: 1, pageSize: 300 });
    backend.expectOne('/api/deployments/stats').flush(stats);
    backend.expectOne('/api/batches').flush([]);
    backend.expectOne('/api/netboot/devices').flush([]);
  }

  it('loads the last hours of units on start', () => {
    const request = backend.expectOne((r) => r.url === '/api/deployments');
    expect(request.request.params.get('pageSize')).toBe('300');
    expect(Date.parse(request.request.params.get('from')!)).toBeLessThan(Date.now());
    request.flush({ items: [deployment('001')], total: 1, page: 1, pageSize: 300 });
    backend.expectOne('/api/deployments/stats').flush(stats);
    backend.expectOne('/api/batches').flush([]);
    backend.expectOne('/api/netboot/devices').flush([]);

    expect([...store.units().keys()]).toEqual(['001']);
    expect(store.loaded()).toBe(true);
    expect(store.netboot()).toBe('available');
  });

  it("applies each of the server's batches at once, in one update", () => {
    answerSnapshot([]);
    const initial = store.units();

    live.events.next({
      name: SOCKET_EVENTS.deploymentsUpdated,
      payload: [deployment('001', { progress: 30, lastReportAt: at(30) }), deployment('002', { progress: 5 })],
    });

    const units = store.units();
    expect(units).not.toBe(initial);
    expect(units.get('001')?.deployment.progress).toBe(30);
    expect(units.get('002')?.deployment.progress).toBe(5);
    // A new unit took a hostname: the batch list is reloaded once things calm down.
    jest.advanceTimersByTime(1_000);
    backend.expectOne('/api/batches').flush([]);
  });

  it('leaves the one-view deployment.updated to outside clients', () => {
    answerSnapshot([]);
    const initial = store.units();

    live.events.next({ name: SOCKET_EVENTS.deploymentUpdated, payload: deployment('001') });

    expect(store.units()).toBe(initial);
  });

  it('reloads everything after a reconnection, keeping newer live state', () => {
    answerSnapshot([]);
    live.events.next({
      name: SOCKET_EVENTS.deploymentsUpdated,
      payload: [deployment('001', { progress: 50, lastReportAt: at(50) })],
    });

    live.connects.next();
    // The snapshot was taken before the last live report and a unit finished meanwhile.
    answerSnapshot([
      deployment('001', { progress: 40, lastReportAt: at(40) }),
      deployment('002', { status: 'failed', error: 'card gone', lastReportAt: at(45) }),
    ]);

    expect(store.units().get('001')?.deployment.progress).toBe(50);
    expect(store.units().get('002')?.deployment.error).toBe('card gone');
    jest.advanceTimersByTime(1_000);
    backend.expectOne('/api/batches').flush([]);
  });

  it('takes statistics from the socket', () => {
    answerSnapshot([]);
    const fresh = { today: { total: 3, success: 2, failed: 1, inProgress: 0 } } as DeploymentStats;

    live.events.next({ name: SOCKET_EVENTS.statsUpdated, payload: fresh });

    expect(store.stats()).toBe(fresh);
  });

  it("applies the server's batch of netboot devices at once, the newer state winning", () => {
    answerSnapshot([]);
    const device = (mac: string, lastSeenAt: string, filesServed: number) =>
      ({ mac, lastSeenAt, filesServed, phase: 'tftp' }) as NetbootDeviceDto;

    live.events.next({
      name: SOCKET_EVENTS.devicesSeen,
      payload: [device('aa', at(10), 3), device('bb', at(10), 1)],
    });
    live.events.next({ name: SOCKET_EVENTS.devicesSeen, payload: [device('aa', at(5), 1)] });

    const byMac = new Map(store.devices().map((d) => [d.mac, d.filesServed]));
    expect(byMac).toEqual(
      new Map([
        ['aa', 3],
        ['bb', 1],
      ]),
    );
  });

  it('says so when the units seen netbooting cannot be loaded', () => {
    backend.expectOne((r) => r.url === '/api/deployments').flush({ items: [], total: 0, page: 1, pageSize: 300 });
    backend.expectOne('/api/deployments/stats').flush(stats);
    backend.expectOne('/api/batches').flush([]);
    backend.expectOne('/api/netboot/devices').flush({ statusCode: 500 }, { status: 500, statusText: 'Error' });

    expect(store.netboot()).toBe('failed');
  });

  it("shows the server's message when the snapshot fails", () => {
    backend
      .expectOne((r) => r.url === '/api/deployments')
      .flush({ statusCode: 500, message: 'database is locked' }, { status: 500, statusText: 'Error' });
    backend.match('/api/deployments/stats');
    backend.match('/api/batches');
    backend.expectOne('/api/netboot/devices').flush([]);

    expect(store.loadError()).toBe('database is locked');
  });
});

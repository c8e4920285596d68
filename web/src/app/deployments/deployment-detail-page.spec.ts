import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import {
  SOCKET_EVENTS,
  type DeploymentDetailDto,
  type DeploymentEventDto,
  type DeploymentEventPage,
} from '@rpi-deploy/contracts';
import { filter, map, Subject } from 'rxjs';
import { storedSession, storeSession } from '../auth/session.testing';
import { deploymentDto, at } from '../dashboard/testing/deployment-dto';
import { LiveSocket } from '../live/live-socket';
import { DeploymentDetailPage } from './deployment-detail-page';

/** Stands in for the socket: the test announces updates by hand. */
class FakeLiveSocket {
  readonly events = new Subject<{ name: string; payload: unknown }>();
  readonly state = signal<'connected'>('connected');
  on<T>(name: string) {
    return this.events.pipe(
      filter((event) => event.name === name),
      map((event) => event.payload as T),
    );
  }
}

const event = (id: number): DeploymentEventDto => ({
  id,
  kind: 'status',
  at: at(id),
  status: 'downloading',
  progress: id,
  bytesDone: null,
  bytesTotal: null,
  message: `report ${id}`,
  error: null,
});
const detail = (ids: number[], eventCount: number): DeploymentDetailDto => ({
  ...deploymentDto({ id: 'd1', status: 'downloading' }),
  events: ids.map(event),
  eventCount,
});

// Material renders slowly in jsdom on a busy machine.
jest.setTimeout(30_000);

describe('DeploymentDetailPage', () => {
  let fixture: ComponentFixture<DeploymentDetailPage>;
  let backend: HttpTestingController;
  let live: FakeLiveSocket;
  const page = () => fixture.nativeElement as HTMLElement;
  const shown = () =>
    Array.from(page().querySelectorAll('.timeline li')).map((li) => /report (\d+)/.exec(li.textContent!)![1]);

  beforeEach(async () => {
    localStorage.clear();
    storeSession(storedSession({ role: 'viewer' }));
    live = new FakeLiveSocket();
    TestBed.configureTestingModule({
      imports: [DeploymentDetailPage],
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([]),
        { provide: LiveSocket, useValue: live },
      ],
    });
    backend = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(DeploymentDetailPage);
    fixture.componentRef.setInput('id', 'd1');
    await fixture.whenStable();
  });

  afterEach(() => backend.verify());

  it('pages older events in, and keeps them when live reports move the latest ones on', async () => {
    backend.expectOne('/api/deployments/d1').flush(detail([4, 5], 5));
    await fixture.whenStable();
    expect(shown()).toEqual(['5', '4']);
    expect(page().textContent).toContain('3 older not shown');

    page().querySelector<HTMLButtonElement>('.older button')!.click();
    const older = backend.expectOne((request) => request.url === '/api/deployments/d1/events');
    expect(older.request.params.get('before')).toBe('4');
    expect(older.request.params.get('limit')).toBe('100');
    older.flush({ items: [1, 2, 3].map(event), hasOlder: false } satisfies DeploymentEventPage);
    await fixture.whenStable();
    expect(shown()).toEqual(['5', '4', '3', '2', '1']);
    expect(page().querySelector('.older')).toBeNull();

    // A new report: the latest window is now 5-6, yet 4 and the paged ones stay.
    live.events.next({ name: SOCKET_EVENTS.deploymentsUpdated, payload: [{ id: 'd1' }] });
    backend.expectOne('/api/deployments/d1').flush(detail([5, 6], 6));
    await fixture.whenStable();
    expect(shown()).toEqual(['6', '5', '4', '3', '2', '1']);
  });

  it('shows the impersonation warning and marks the refused request in the timeline', async () => {
    backend.expectOne('/api/deployments/d1').flush({
      ...detail([1], 2),
      events: [
        event(1),
        { ...event(2), kind: 'impersonation', progress: null, message: 'report 2: another device asked' },
      ],
      impersonation: { serial: '10000000abc12345', mac: '02:00:5e:00:00:09', ip: '10.0.0.66', at: at(2) },
    });
    await fixture.whenStable();
    const warning = page().querySelector('app-impersonation-warning')!;
    expect(warning.textContent).toContain('MAC 02:00:5e:00:00:09');
    expect(warning.textContent).toContain('IP 10.0.0.66');
    expect(page().querySelector('.timeline li.impersonation')!.textContent).toContain('Impersonation refused');
    expect(page().querySelector('.older')).toBeNull();
  });

  it('shows where the bytes came from and every peer dropped for a wrong or missing chunk', async () => {
    const dropped =
      'KXP2-CORO-004 (http://10.0.0.14:5003) served chunk 3f00 to KXP2-CORO-001: wrong chunk; peer dropped';
    backend.expectOne('/api/deployments/d1').flush({
      ...detail([1], 2),
      bytesFromServer: 25 * 2 ** 20,
      bytesFromPeers: 75 * 2 ** 20,
      events: [event(1), { ...event(2), kind: 'peer_fault', progress: null, message: dropped }],
    });
    await fixture.whenStable();
    expect(page().querySelector('app-byte-sources [role="img"]')!.getAttribute('aria-label')).toBe('75 % from peers');
    const faults = Array.from(page().querySelectorAll('.peer-faults li')).map((li) => li.textContent);
    expect(faults).toEqual([expect.stringContaining(dropped)]);
    const marked = page().querySelector('.timeline li.impersonation')!.textContent;
    expect(marked).toContain('Peer dropped');
    expect(marked).toContain('KXP2-CORO-004');
  });

  it('says so when no peer was dropped and no bytes were reported', async () => {
    backend.expectOne('/api/deployments/d1').flush(detail([1], 1));
    await fixture.whenStable();
    expect(page().querySelector('app-byte-sources')).toBeNull();
    expect(page().querySelector('.peer-faults')!.textContent).toContain('No peer was dropped');
  });

  it('names the failure and its LED code; a viewer gets no unit actions', async () => {
    backend.expectOne('/api/deployments/d1').flush({
      ...detail([1], 1),
      status: 'failed',
      error: 'the card does not keep zeros; the card is faulty',
      failureCode: 'card_faulty',
      failureClass: 'permanent',
    });
    await fixture.whenStable();
    expect(page().querySelector('app-failure-code-note')!.textContent).toContain(
      'SD card faulty · stopped, waits · LED code 6 red blinks',
    );
    expect(page().querySelector('app-unit-actions button')).toBeNull();
  });

  it('shows the first boot and marks the boot confirmation and its absence in the timeline', async () => {
    const mismatch = 'the unit booted as raspberrypi, but was assigned KXP2-CORO-001';
    backend.expectOne('/api/deployments/d1').flush({
      ...detail([1], 3),
      status: 'success',
      events: [
        event(1),
        { ...event(2), kind: 'boot_unconfirmed', status: 'success', progress: null, message: 'no boot confirmation' },
        {
          ...event(3),
          kind: 'booted',
          status: 'success',
          progress: null,
          message: 'booted as raspberrypi',
          error: mismatch,
        },
      ],
      bootedAt: at(3),
      boot: {
        state: 'booted',
        bootedAt: at(3),
        secondsToBoot: 2,
        hostname: 'raspberrypi',
        machineId: null,
        imageVersion: null,
        kernel: null,
        address: null,
        hostnameMismatch: mismatch,
      },
    });
    await fixture.whenStable();
    const note = page().querySelector('app-boot-confirmation')!.textContent!.replace(/\s+/g, ' ');
    expect(note).toContain('(2 s after install)');
    expect(note).toContain(`Warning: ${mismatch}`);
    const timeline = page().querySelector('.timeline')!.textContent!;
    expect(timeline).toContain('Booted');
    expect(timeline).toContain('Boot not confirmed');
    expect(timeline).toContain(mismatch);
  });
});

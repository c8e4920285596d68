import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { provideRouter } from '@angular/router';
import type { Role, ProxmoxSnapshotDto, ProxmoxVmStatusDto } from '@rpi-deploy/contracts';
import { firstValueFrom } from 'rxjs';
import { storedSession, storeSession } from '../../auth/session.testing';
import { ProxmoxPanel } from './proxmox-panel';

const STATUS: ProxmoxVmStatusDto = {
  node: 'pve',
  vmid: 100,
  name: 'rpi-deploy',
  state: 'running',
  uptimeSeconds: 3 * 3600 + 120,
  cores: 2,
  memoryMiB: 4096,
  agentRunning: true,
  addresses: [
    { interface: 'eth0', mac: 'bc:24:11:00:00:01', address: '10.1.0.10/24', family: 'ipv4' },
    { interface: 'eth1', mac: 'bc:24:11:00:00:02', address: '192.168.151.1/24', family: 'ipv4' },
  ],
};
const SNAPSHOT: ProxmoxSnapshotDto = {
  name: 'before_upgrade',
  description: 'before 1.4.0',
  createdAt: '2026-11-20T10:00:00.000Z',
  parent: null,
  includesRam: false,
};

// Material dialogs and tables render slowly in jsdom on a busy machine; 5 s is not always enough.
jest.setTimeout(30_000);

describe('ProxmoxPanel', () => {
  let fixture: ComponentFixture<ProxmoxPanel>;
  let backend: HttpTestingController;
  let panel: HTMLElement;

  async function render(role: Role): Promise<void> {
    localStorage.clear();
    storeSession(storedSession({ role }));
    TestBed.configureTestingModule({
      imports: [ProxmoxPanel],
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
    });
    backend = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(ProxmoxPanel);
    panel = fixture.nativeElement;
    await fixture.whenStable();
  }

  afterEach(() => backend.verify());

  const text = () => panel.textContent?.replace(/\s+/g, ' ') ?? '';
  /** The status card's facts, term by term. */
  const facts = () =>
    Object.fromEntries(
      Array.from(panel.querySelectorAll('dt')).map((term) => [
        term.textContent?.trim(),
        term.nextElementSibling?.textContent?.replace(/\s+/g, ' ').trim(),
      ]),
    );

  it('shows the VM and its snapshots to admins', async () => {
    await render('admin');
    backend.expectOne('/api/proxmox/status').flush(STATUS);
    backend.expectOne('/api/proxmox/snapshots').flush([SNAPSHOT]);
    await fixture.whenStable();
    expect(text()).toContain('rpi-deploy (VMID 100 on pve)');
    expect(facts()).toEqual({
      State: 'running',
      Uptime: '3 h 02 min',
      Size: '2 cores, 4096 MiB memory',
      Addresses: expect.any(String),
    });
    const addresses = Array.from(panel.querySelectorAll('dd:last-of-type div')).map((line) => line.textContent?.trim());
    expect(addresses).toEqual(['10.1.0.10/24 (eth0)', '192.168.151.1/24 (eth1)']);
    expect(text()).toContain('10.1.0.10/24 (eth0)');
    expect(text()).toContain('192.168.151.1/24 (eth1)');
    expect(panel.querySelector('[aria-label="Roll back to before_upgrade"]')).not.toBeNull();
  });

  it('says what to configure when the server answers 503', async () => {
    await render('admin');
    const message = 'Proxmox is not configured: set PROXMOX_URL, PROXMOX_NODE in the server environment';
    backend
      .expectOne('/api/proxmox/status')
      .flush({ statusCode: 503, message }, { status: 503, statusText: 'Service Unavailable' });
    // forkJoin drops the other call once one fails.
    expect(backend.expectOne('/api/proxmox/snapshots').cancelled).toBe(true);
    await fixture.whenStable();
    expect(panel.querySelector('[role="status"]')?.textContent).toContain(message);
    expect(panel.querySelector('[aria-label="VM status"]')).toBeNull();
  });

  it('asks nothing for operators and viewers, and says the panel is for admins', async () => {
    for (const role of ['operator', 'viewer'] as const) {
      TestBed.resetTestingModule();
      await render(role);
      backend.expectNone('/api/proxmox/status');
      expect(text()).toContain('Only admins see and manage the Proxmox VM');
    }
  });

  it('takes a snapshot with a valid name only', async () => {
    await render('admin');
    backend.expectOne('/api/proxmox/status').flush(STATUS);
    backend.expectOne('/api/proxmox/snapshots').flush([]);
    await fixture.whenStable();
    expect(text()).toContain('No snapshots yet.');

    const name = panel.querySelector<HTMLInputElement>('input[formcontrolname="name"]')!;
    const submit = () =>
      panel.querySelector<HTMLFormElement>('form[aria-label="New snapshot"]')!.dispatchEvent(new Event('submit'));
    name.value = 'before-upgrade';
    name.dispatchEvent(new Event('input'));
    submit();
    await fixture.whenStable();
    backend.expectNone('/api/proxmox/snapshots');
    expect(text()).toContain('2-40 letters, digits or "_"');

    name.value = 'before_upgrade';
    name.dispatchEvent(new Event('input'));
    submit();
    const request = backend.expectOne({ method: 'POST', url: '/api/proxmox/snapshots' });
    expect(request.request.body).toEqual({ name: 'before_upgrade', description: undefined });
    request.flush([SNAPSHOT]);
    await fixture.whenStable();
    expect(text()).toContain('before_upgrade');
    expect(text()).not.toContain('No snapshots yet.');
  });

  it('rolls back only after the confirmation, and says the server restarts', async () => {
    await render('admin');
    backend.expectOne('/api/proxmox/status').flush(STATUS);
    backend.expectOne('/api/proxmox/snapshots').flush([SNAPSHOT]);
    await fixture.whenStable();
    /** A button of the newest dialog (a closing one may still be in the DOM). */
    const dialogButton = (label: string) =>
      Array.from(Array.from(document.querySelectorAll('mat-dialog-container')).at(-1)!.querySelectorAll('button')).find(
        (button) => button.textContent?.trim() === label,
      );

    panel.querySelector<HTMLButtonElement>('[aria-label="Roll back to before_upgrade"]')!.click();
    await fixture.whenStable();
    expect(document.querySelector('mat-dialog-container')?.textContent).toContain('it stops now and starts again');
    let closed = firstValueFrom(TestBed.inject(MatDialog).afterAllClosed);
    dialogButton('Cancel')!.click();
    await closed;
    backend.expectNone('/api/proxmox/snapshots/before_upgrade/rollback');

    panel.querySelector<HTMLButtonElement>('[aria-label="Roll back to before_upgrade"]')!.click();
    await fixture.whenStable();
    closed = firstValueFrom(TestBed.inject(MatDialog).afterAllClosed);
    dialogButton('Roll back')!.click();
    await fixture.whenStable();
    await closed;
    backend
      .expectOne({ method: 'POST', url: '/api/proxmox/snapshots/before_upgrade/rollback' })
      .flush({ task: 'UPID:pve:00001234:00000000:00000000:qmrollback:100:root@pam:' });
    await fixture.whenStable();
    expect(document.body.textContent).toContain('Rolling back to before_upgrade: the server restarts shortly');
  });
});

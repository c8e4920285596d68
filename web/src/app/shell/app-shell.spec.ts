import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ApplicationRef, Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import type { Role } from '@rpi-deploy/contracts';
import { AuthService } from '../auth/auth.service';
import { SESSION_STORAGE_KEY } from '../auth/session-store';
import { storedSession, storeSession } from '../auth/session.testing';
import { AppShell } from './app-shell';

@Component({ template: '<h1>Venues</h1>' })
class VenuesStub {}

@Component({ template: '<h1>Log in</h1>' })
class LoginStub {}

describe('AppShell', () => {
  let backend: HttpTestingController;

  beforeEach(() => {
    localStorage.clear();
    storeSession(storedSession({ role: 'operator' }));
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([
          { path: 'login', component: LoginStub },
          {
            path: '',
            component: AppShell,
            children: [
              'dashboard',
              'venues',
              'batches',
              'images',
              'deployments',
              'statistics',
              'netboot',
              'admin',
              'audit',
            ].map((path) => ({
              path,
              component: VenuesStub,
            })),
          },
        ]),
      ],
    });
    backend = TestBed.inject(HttpTestingController);
  });

  afterEach(() => backend.verify());

  /** Text a screen reader announces: icon ligatures are aria-hidden and do not count. */
  function accessibleText(element: Element): string {
    const copy = element.cloneNode(true) as Element;
    copy.querySelectorAll('[aria-hidden="true"]').forEach((hidden) => hidden.remove());
    return copy.textContent?.trim() ?? '';
  }

  async function openShellAt(url: string, role: Role = 'operator'): Promise<HTMLElement> {
    const harness = await RouterTestingHarness.create(url);
    backend.expectOne('/api/auth/me').flush({ username: 'alice', role });
    await harness.fixture.whenStable();
    return harness.routeNativeElement ?? harness.fixture.nativeElement;
  }

  it('shows who is signed in, with their role', async () => {
    const shell = await openShellAt('/venues');

    expect(shell.querySelector('[data-testid="current-user"]')?.textContent?.trim()).toBe('alice');
    expect(shell.querySelector('[data-testid="current-role"]')?.textContent?.trim()).toBe('operator');
  });

  it('links every section and marks the current one', async () => {
    const shell = await openShellAt('/venues');
    const links = Array.from(shell.querySelectorAll<HTMLAnchorElement>('nav a'));

    expect(links.map((link) => [accessibleText(link), link.getAttribute('href')])).toEqual([
      ['Dashboard', '/dashboard'],
      ['Venues', '/venues'],
      ['Batches', '/batches'],
      ['Images', '/images'],
      ['Deployments', '/deployments'],
      ['Statistics', '/statistics'],
      ['Netboot', '/netboot'],
      ['Admin', '/admin'],
    ]);
    const current = links.filter((link) => link.getAttribute('aria-current') === 'page');
    expect(current.map(accessibleText)).toEqual(['Venues']);
  });

  it('does not link the audit log for an operator', async () => {
    const shell = await openShellAt('/venues', 'operator');

    expect(Array.from(shell.querySelectorAll('nav a')).map(accessibleText)).not.toContain('Audit');
  });

  it('links the audit log for an admin', async () => {
    const shell = await openShellAt('/venues', 'admin');
    const audit = Array.from(shell.querySelectorAll<HTMLAnchorElement>('nav a')).at(-1);

    expect([accessibleText(audit!), audit?.getAttribute('href')]).toEqual(['Audit', '/audit']);
  });

  it('renders the routed page inside the main landmark', async () => {
    const shell = await openShellAt('/venues');

    expect(shell.querySelector('main h1')?.textContent).toBe('Venues');
  });

  it('logs out from the toolbar', async () => {
    const shell = await openShellAt('/venues');

    shell.querySelector<HTMLButtonElement>('button[aria-label="Log out"]')?.click();
    // The server hears of it, for the audit log.
    backend
      .expectOne({ method: 'POST', url: '/api/auth/logout' })
      .flush(null, { status: 204, statusText: 'No Content' });
    await TestBed.inject(ApplicationRef).whenStable();

    expect(TestBed.inject(AuthService).isLoggedIn()).toBe(false);
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
    expect(TestBed.inject(Router).url).toBe('/login');
  });
});

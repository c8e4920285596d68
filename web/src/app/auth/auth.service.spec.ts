import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ApplicationRef, Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import type { LoginResponse } from '@rpi-deploy/contracts';
import { AuthService } from './auth.service';
import { SESSION_STORAGE_KEY } from './session-store';
import { readStoredSession, storedSession, storeSession } from './session.testing';

@Component({ template: '' })
class BlankPage {}

const NOW = Date.parse('2026-03-01T10:00:00Z');

describe('AuthService', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'queueMicrotask'] });
    localStorage.clear();
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([
          { path: 'login', component: BlankPage },
          { path: 'venues', component: BlankPage },
        ]),
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    http.verify();
    jest.useRealTimers();
  });

  const settle = () => TestBed.inject(ApplicationRef).whenStable();

  function logIn(auth: AuthService, response: LoginResponse): void {
    auth.login({ username: response.user.username, password: 'correct horse' }).subscribe();
    http.expectOne('/api/auth/login').flush(response);
  }

  it('starts logged out when nothing is stored', () => {
    const auth = TestBed.inject(AuthService);

    expect(auth.isLoggedIn()).toBe(false);
    expect(auth.user()).toBeNull();
    expect(auth.accessToken()).toBeNull();
  });

  it('posts the credentials and stores the session with its expiry time', () => {
    const auth = TestBed.inject(AuthService);
    const loggedIn: unknown[] = [];

    auth.login({ username: 'alice', password: 'correct horse' }).subscribe((user) => loggedIn.push(user));
    const request = http.expectOne('/api/auth/login');
    expect(request.request.method).toBe('POST');
    expect(request.request.body).toEqual({ username: 'alice', password: 'correct horse' });
    request.flush({ accessToken: 'jwt-abc', expiresIn: 3600, user: { username: 'alice', role: 'operator' } });

    expect(loggedIn).toEqual([{ username: 'alice', role: 'operator' }]);
    expect(auth.isLoggedIn()).toBe(true);
    expect(auth.user()).toEqual({ username: 'alice', role: 'operator' });
    expect(auth.accessToken()).toBe('jwt-abc');
    expect(readStoredSession()).toEqual({
      accessToken: 'jwt-abc',
      user: { username: 'alice', role: 'operator' },
      expiresAt: NOW + 3600 * 1000,
    });
  });

  it('stores nothing when the server rejects the login', () => {
    const auth = TestBed.inject(AuthService);
    let failure: unknown;

    auth.login({ username: 'alice', password: 'wrong' }).subscribe({ error: (error) => (failure = error) });
    http
      .expectOne('/api/auth/login')
      .flush({ statusCode: 401, message: 'Wrong user name or password' }, { status: 401, statusText: 'Unauthorized' });

    expect(failure).toMatchObject({ status: 401 });
    expect(auth.isLoggedIn()).toBe(false);
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
  });

  it('restores a stored session that has not expired', () => {
    storeSession(storedSession({ accessToken: 'kept', role: 'admin' }));

    const auth = TestBed.inject(AuthService);

    expect(auth.isLoggedIn()).toBe(true);
    expect(auth.user()).toEqual({ username: 'alice', role: 'admin' });
    expect(auth.accessToken()).toBe('kept');
  });

  it('treats a stored session past its expiry as logged out and forgets it', () => {
    storeSession(storedSession({ expiresAt: NOW - 1 }));

    const auth = TestBed.inject(AuthService);

    expect(auth.isLoggedIn()).toBe(false);
    expect(auth.user()).toBeNull();
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
  });

  it.each([
    ['not JSON', '{oops'],
    ['an unknown role', JSON.stringify({ ...storedSession(), user: { username: 'alice', role: 'root' } })],
    ['no token', JSON.stringify({ ...storedSession(), accessToken: '' })],
    ['no expiry', JSON.stringify({ ...storedSession(), expiresAt: 'never' })],
  ])('ignores and removes a stored session with %s', (_case, text) => {
    localStorage.setItem(SESSION_STORAGE_KEY, text);

    const auth = TestBed.inject(AuthService);

    expect(auth.isLoggedIn()).toBe(false);
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
  });

  it('ends the session when its expiry time passes and asks for a new login', async () => {
    const auth = TestBed.inject(AuthService);
    const router = TestBed.inject(Router);
    await router.navigateByUrl('/venues');
    logIn(auth, { accessToken: 'short', expiresIn: 60, user: { username: 'alice', role: 'viewer' } });

    jest.advanceTimersByTime(59_000);
    expect(auth.isLoggedIn()).toBe(true);

    jest.advanceTimersByTime(1_000);
    await settle();
    expect(auth.isLoggedIn()).toBe(false);
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
    expect(router.url).toBe('/login?returnUrl=%2Fvenues&expired=true');
  });

  it('refuses an expired token even before the expiry timer has run', () => {
    storeSession(storedSession({ expiresAt: NOW + 1000 }));
    const auth = TestBed.inject(AuthService);

    jest.setSystemTime(NOW + 1000);

    expect(auth.checkSession()).toBe(false);
    expect(auth.accessToken()).toBeNull();
    expect(auth.isLoggedIn()).toBe(false);
  });

  it('logout clears the session and storage and shows the login page', async () => {
    storeSession();
    const auth = TestBed.inject(AuthService);
    const router = TestBed.inject(Router);
    await router.navigateByUrl('/venues');

    auth.logout();
    await settle();

    expect(auth.isLoggedIn()).toBe(false);
    expect(auth.user()).toBeNull();
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
    expect(router.url).toBe('/login');
  });

  it('signOut tells the server with the session token and ends the session at once', async () => {
    storeSession();
    const auth = TestBed.inject(AuthService);
    const router = TestBed.inject(Router);
    await router.navigateByUrl('/venues');

    auth.signOut();
    await settle();

    expect(auth.isLoggedIn()).toBe(false);
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
    expect(router.url).toBe('/login');
    const logout = http.expectOne({ method: 'POST', url: '/api/auth/logout' });
    expect(logout.request.headers.get('Authorization')).toBe('Bearer token-123');
    // An unreachable server changes nothing.
    logout.error(new ProgressEvent('error'));
    await settle();
    expect(router.url).toBe('/login');
  });

  it('signOut without a live session only ends it', async () => {
    const auth = TestBed.inject(AuthService);

    auth.signOut();
    await settle();

    http.expectNone('/api/auth/logout');
    expect(TestBed.inject(Router).url).toBe('/login');
  });

  it('follows a logout made in another tab', async () => {
    storeSession();
    const auth = TestBed.inject(AuthService);
    const router = TestBed.inject(Router);
    await router.navigateByUrl('/venues');

    localStorage.removeItem(SESSION_STORAGE_KEY);
    window.dispatchEvent(new StorageEvent('storage', { key: SESSION_STORAGE_KEY, newValue: null }));
    await settle();

    expect(auth.isLoggedIn()).toBe(false);
    expect(router.url).toBe('/login?returnUrl=%2Fvenues');
  });

  it('takes over the role the server reports for the current token', () => {
    storeSession(storedSession({ role: 'viewer' }));
    const auth = TestBed.inject(AuthService);

    auth.refreshUser().subscribe();
    http.expectOne('/api/auth/me').flush({ username: 'alice', role: 'admin' });

    expect(auth.user()).toEqual({ username: 'alice', role: 'admin' });
    expect(readStoredSession()).toMatchObject({ user: { username: 'alice', role: 'admin' } });
  });

  describe('hasRole', () => {
    it.each([
      ['viewer', 'viewer', true],
      ['viewer', 'operator', false],
      ['viewer', 'admin', false],
      ['operator', 'viewer', true],
      ['operator', 'operator', true],
      ['operator', 'admin', false],
      ['admin', 'admin', true],
      ['admin', 'viewer', true],
    ] as const)('a(n) %s has the %s role: %s', (role, required, expected) => {
      storeSession(storedSession({ role }));

      expect(TestBed.inject(AuthService).hasRole(required)).toBe(expected);
    });

    it('grants nothing without a session', () => {
      const auth = TestBed.inject(AuthService);

      expect(auth.hasRole('viewer')).toBe(false);
    });
  });
});

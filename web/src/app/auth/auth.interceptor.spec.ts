import { HttpClient, HttpErrorResponse, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ApplicationRef, Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { authInterceptor } from './auth.interceptor';
import { AuthService } from './auth.service';
import { SESSION_STORAGE_KEY } from './session-store';
import { storedSession, storeSession } from './session.testing';

@Component({ template: '' })
class BlankPage {}

describe('authInterceptor', () => {
  let http: HttpClient;
  let backend: HttpTestingController;

  beforeEach(() => {
    localStorage.clear();
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([authInterceptor])),
        provideHttpClientTesting(),
        provideRouter([
          { path: 'login', component: BlankPage },
          { path: 'venues', component: BlankPage },
        ]),
      ],
    });
    http = TestBed.inject(HttpClient);
    backend = TestBed.inject(HttpTestingController);
  });

  afterEach(() => backend.verify());

  function authorizationSentWith(url: string): string | null {
    http.get(url).subscribe();
    const request = backend.expectOne(url);
    request.flush({});
    return request.request.headers.get('Authorization');
  }

  describe('with a session', () => {
    beforeEach(() => storeSession(storedSession({ accessToken: 'jwt-xyz' })));

    it.each(['/api/venues', '/api/auth/me', `${location.origin}/api/batches?state=running`])(
      'adds the bearer token to %s',
      (url) => {
        expect(authorizationSentWith(url)).toBe('Bearer jwt-xyz');
      },
    );

    it.each([
      'https://updates.example.com/api/venues',
      '//evil.example/api/venues',
      '/apidocs.json',
      '/assets/config.json',
    ])('does not send the token to %s', (url) => {
      expect(authorizationSentWith(url)).toBeNull();
    });

    it('ends the session and asks for a login, coming back here, when the API answers 401', async () => {
      const router = TestBed.inject(Router);
      await router.navigateByUrl('/venues');
      let failure: unknown;

      http.get('/api/venues').subscribe({ error: (error) => (failure = error) });
      backend
        .expectOne('/api/venues')
        .flush({ statusCode: 401, message: 'Invalid or expired token: log in again' }, { status: 401, statusText: '' });
      await TestBed.inject(ApplicationRef).whenStable();

      expect(failure).toBeInstanceOf(HttpErrorResponse);
      expect(TestBed.inject(AuthService).isLoggedIn()).toBe(false);
      expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
      expect(router.url).toBe('/login?returnUrl=%2Fvenues&expired=true');
    });

    it('keeps the session on other errors such as 403', () => {
      http.get('/api/users').subscribe({ error: () => undefined });
      backend.expectOne('/api/users').flush({ statusCode: 403, message: 'Forbidden' }, { status: 403, statusText: '' });

      expect(TestBed.inject(AuthService).isLoggedIn()).toBe(true);
    });

    it('leaves 401s from other origins alone', () => {
      http.get('https://elsewhere.example/api/x').subscribe({ error: () => undefined });
      backend.expectOne('https://elsewhere.example/api/x').flush(null, { status: 401, statusText: '' });

      expect(TestBed.inject(AuthService).isLoggedIn()).toBe(true);
    });
  });

  it('sends no Authorization header without a session', () => {
    expect(authorizationSentWith('/api/health')).toBeNull();
  });

  it('treats a 401 from the login call as wrong credentials, not as the end of a session', async () => {
    const router = TestBed.inject(Router);
    await router.navigateByUrl('/login?returnUrl=%2Fvenues');
    const logout = jest.spyOn(TestBed.inject(AuthService), 'logout');

    http.post('/api/auth/login', { username: 'alice', password: 'nope' }).subscribe({ error: () => undefined });
    backend
      .expectOne('/api/auth/login')
      .flush({ message: 'Wrong user name or password' }, { status: 401, statusText: '' });
    await TestBed.inject(ApplicationRef).whenStable();

    expect(logout).not.toHaveBeenCalled();
    expect(router.url).toBe('/login?returnUrl=%2Fvenues');
  });
});

import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { AuthService } from '../auth.service';
import { LoginPage } from './login-page';

@Component({ template: '' })
class BlankPage {}

describe('LoginPage', () => {
  let fixture: ComponentFixture<LoginPage>;
  let backend: HttpTestingController;
  let page: HTMLElement;

  beforeEach(async () => {
    localStorage.clear();
    TestBed.configureTestingModule({
      imports: [LoginPage],
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([
          { path: 'dashboard', component: BlankPage },
          { path: 'venues', component: BlankPage },
        ]),
      ],
    });
    backend = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(LoginPage);
    page = fixture.nativeElement;
    await fixture.whenStable();
  });

  afterEach(() => backend.verify());

  /** The input a user finds by its visible label, as a screen reader or Playwright would. */
  function field(label: string): HTMLInputElement {
    const labels = Array.from(page.querySelectorAll('label'));
    const match = labels.find((element) => element.textContent?.replace('*', '').trim() === label);
    if (!match) throw new Error(`No label "${label}" among: ${labels.map((l) => l.textContent).join(', ')}`);
    const input = page.querySelector<HTMLInputElement>(`#${match.htmlFor}`);
    if (!input) throw new Error(`Label "${label}" points at no input`);
    return input;
  }

  function submitButton(): HTMLButtonElement {
    const button = Array.from(page.querySelectorAll('button')).find((b) => b.textContent?.trim() === 'Log in');
    if (!button) throw new Error('No "Log in" button');
    return button;
  }

  async function type(label: string, value: string): Promise<void> {
    const input = field(label);
    input.value = value;
    input.dispatchEvent(new Event('input'));
    await fixture.whenStable();
  }

  async function submit(): Promise<void> {
    submitButton().click();
    await fixture.whenStable();
  }

  const alertText = () => page.querySelector('[role="alert"]')?.textContent?.trim() ?? null;

  it('labels its fields and button the way users (and the e2e tests) look for them', () => {
    expect(field('User name').autocomplete).toBe('username');
    expect(field('Password').type).toBe('password');
    expect(submitButton().type).toBe('submit');
    expect(page.querySelector('h1')?.textContent).toContain('rpi-deploy');
  });

  it('does not send anything while the form is incomplete, and says what is missing', async () => {
    await submit();
    backend.expectNone('/api/auth/login');
    expect(page.textContent).toContain('Enter your user name.');
    expect(page.textContent).toContain('Enter your password.');

    await type('User name', '   ');
    await type('Password', 'correct horse');
    await submit();
    backend.expectNone('/api/auth/login');
    expect(page.textContent).toContain('Enter your user name.');
    expect(document.activeElement).toBe(field('User name'));

    await type('User name', 'alice');
    await type('Password', '');
    await submit();
    backend.expectNone('/api/auth/login');
    expect(page.textContent).not.toContain('Enter your user name.');
    expect(page.textContent).toContain('Enter your password.');
    expect(document.activeElement).toBe(field('Password'));
  });

  it("shows the server's message when the credentials are refused, and lets the user retry", async () => {
    await type('User name', 'alice');
    await type('Password', 'wrong password');
    await submit();

    const request = backend.expectOne('/api/auth/login');
    expect(request.request.body).toEqual({ username: 'alice', password: 'wrong password' });
    expect(submitButton().disabled).toBe(true);
    expect(field('User name').disabled).toBe(true);

    request.flush(
      { statusCode: 401, message: 'Wrong user name or password, or the account is disabled', error: 'Unauthorized' },
      { status: 401, statusText: 'Unauthorized' },
    );
    await fixture.whenStable();

    expect(alertText()).toBe('Wrong user name or password, or the account is disabled');
    expect(submitButton().disabled).toBe(false);
    expect(field('User name').value).toBe('alice');
    expect(field('Password').value).toBe('');
    expect(TestBed.inject(AuthService).isLoggedIn()).toBe(false);
  });

  it('explains a rate limit in words instead of the throttler jargon', async () => {
    await type('User name', 'alice');
    await type('Password', 'guess 12345');
    await submit();
    backend
      .expectOne('/api/auth/login')
      .flush({ statusCode: 429, message: 'ThrottlerException: Too Many Requests' }, { status: 429, statusText: '' });
    await fixture.whenStable();

    expect(alertText()).toBe('Too many attempts: wait a minute, then try again.');
  });

  it('says so when the server cannot be reached', async () => {
    await type('User name', 'alice');
    await type('Password', 'correct horse');
    await submit();
    backend.expectOne('/api/auth/login').error(new ProgressEvent('error'), { status: 0 });
    await fixture.whenStable();

    expect(alertText()).toContain('Cannot reach the server');
  });

  it('logs in and goes to the page the user originally asked for', async () => {
    fixture.componentRef.setInput('returnUrl', '/venues');
    await type('User name', ' alice ');
    await type('Password', 'correct horse');
    await submit();

    const request = backend.expectOne('/api/auth/login');
    expect(request.request.body).toEqual({ username: 'alice', password: 'correct horse' });
    request.flush({ accessToken: 'jwt', expiresIn: 3600, user: { username: 'alice', role: 'admin' } });
    await fixture.whenStable();

    expect(TestBed.inject(AuthService).user()).toEqual({ username: 'alice', role: 'admin' });
    expect(TestBed.inject(Router).url).toBe('/venues');
    expect(alertText()).toBeNull();
  });

  it('goes to the dashboard when the returnUrl points outside the app', async () => {
    fixture.componentRef.setInput('returnUrl', 'https://evil.example/phish');
    await type('User name', 'alice');
    await type('Password', 'correct horse');
    await submit();
    backend
      .expectOne('/api/auth/login')
      .flush({ accessToken: 'jwt', expiresIn: 3600, user: { username: 'alice', role: 'viewer' } });
    await fixture.whenStable();

    expect(TestBed.inject(Router).url).toBe('/dashboard');
  });

  it('tells a user whose session ran out why they are here', async () => {
    fixture.componentRef.setInput('expired', 'true');
    await fixture.whenStable();

    expect(page.querySelector('[role="status"]')?.textContent).toContain('Your session has ended');
  });
});

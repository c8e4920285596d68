import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { authGuard } from './auth.guard';
import { guestOnlyGuard } from './guest-only.guard';
import { storedSession, storeSession } from './session.testing';

@Component({ template: '' })
class BlankPage {}

describe('route guards', () => {
  beforeEach(() => {
    localStorage.clear();
    TestBed.configureTestingModule({
      providers: [
        provideRouter([
          { path: 'login', component: BlankPage, canActivate: [guestOnlyGuard] },
          { path: 'dashboard', component: BlankPage, canActivate: [authGuard] },
          { path: 'venues', component: BlankPage, canActivate: [authGuard] },
        ]),
      ],
    });
  });

  async function navigate(url: string): Promise<string> {
    const router = TestBed.inject(Router);
    await router.navigateByUrl(url);
    return router.url;
  }

  describe('authGuard', () => {
    it('sends a logged-out visitor to the login page with the requested URL as returnUrl', async () => {
      expect(await navigate('/venues?product=KXP2')).toBe('/login?returnUrl=%2Fvenues%3Fproduct%3DKXP2');
    });

    it('lets a logged-in user through', async () => {
      storeSession();

      expect(await navigate('/venues')).toBe('/venues');
    });

    it('treats an expired session as logged out', async () => {
      storeSession(storedSession({ expiresAt: Date.now() - 1 }));

      expect(await navigate('/venues')).toBe('/login?returnUrl=%2Fvenues');
    });
  });

  describe('guestOnlyGuard', () => {
    it('shows the login page to a logged-out visitor', async () => {
      expect(await navigate('/login?returnUrl=%2Fvenues')).toBe('/login?returnUrl=%2Fvenues');
    });

    it('sends a logged-in user on to the returnUrl', async () => {
      storeSession();

      expect(await navigate('/login?returnUrl=%2Fvenues')).toBe('/venues');
    });

    it('sends a logged-in user to the dashboard when there is no returnUrl', async () => {
      storeSession();

      expect(await navigate('/login')).toBe('/dashboard');
    });

    it('never follows a returnUrl to another site', async () => {
      storeSession();

      expect(await navigate('/login?returnUrl=https%3A%2F%2Fevil.example%2F')).toBe('/dashboard');
    });
  });
});

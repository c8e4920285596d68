import { HttpClient } from '@angular/common/http';
import { computed, DestroyRef, inject, Injectable, signal } from '@angular/core';
import { Router } from '@angular/router';
import { roleSatisfies, type LoginRequest, type LoginResponse, type Role } from '@rpi-deploy/contracts';
import { map, Observable, tap } from 'rxjs';
import { LOGIN_PATH, safeReturnUrl } from './return-url';
import { isExpired, sessionFromLogin, type Session, type SessionUser } from './session';
import { SessionStore } from './session-store';

export const LOGIN_URL = '/api/auth/login';
export const CURRENT_USER_URL = '/api/auth/me';
export const LOGOUT_URL = '/api/auth/logout';

/** setTimeout fires at once for delays above 2^31-1 ms (~24.8 days); longer waits are chained. */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

export interface LogoutOptions {
  /** Where to come back to after the next login. */
  returnUrl?: string;
  /** Set when the session ended without the user asking (expired, rejected by the server). */
  expired?: boolean;
}

/** The signed-in user and their bearer token; the one place that starts and ends sessions. */
@Injectable({ providedIn: 'root' })
export class AuthService {
  private readonly http = inject(HttpClient);
  private readonly router = inject(Router);
  private readonly store = inject(SessionStore);
  private readonly session = signal<Session | null>(null);
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;

  readonly user = computed<SessionUser | null>(() => this.session()?.user ?? null);
  readonly isLoggedIn = computed(() => this.session() !== null);

  constructor() {
    this.adopt(this.store.read());
    const stopWatching = this.store.watchOtherTabs(() => this.followOtherTab());
    inject(DestroyRef).onDestroy(() => {
      stopWatching();
      clearTimeout(this.expiryTimer);
    });
  }

  login(credentials: LoginRequest): Observable<SessionUser> {
    return this.http.post<LoginResponse>(LOGIN_URL, credentials).pipe(
      map((response) => sessionFromLogin(response, Date.now())),
      tap((session) => {
        this.store.write(session);
        this.adopt(session);
      }),
      map((session) => session.user),
    );
  }

  /**
   * The user's own logout: tells the server, which records it in the audit log, and ends the
   * session here at once. The call carries the token itself, as the session is already gone when
   * it leaves; its answer changes nothing, so a slow or unreachable server keeps no one waiting.
   */
  signOut(): void {
    const token = this.accessToken();
    if (token) {
      this.http
        .post<void>(LOGOUT_URL, null, { headers: { Authorization: `Bearer ${token}` } })
        .subscribe({ error: () => undefined });
    }
    this.logout();
  }

  /** Ends the session and shows the login page. */
  logout(options: LogoutOptions = {}): void {
    this.end();
    const queryParams: Record<string, string> = {};
    // Only a plain in-app page is worth coming back to (not the login page itself, say).
    if (options.returnUrl && safeReturnUrl(options.returnUrl) === options.returnUrl) {
      queryParams['returnUrl'] = options.returnUrl;
    }
    if (options.expired) queryParams['expired'] = 'true';
    void this.router.navigate([LOGIN_PATH], { queryParams });
  }

  /** True while there is a session that has not expired; an expired one is ended on the spot. */
  checkSession(): boolean {
    const session = this.session();
    if (session && isExpired(session, Date.now())) this.end();
    return this.isLoggedIn();
  }

  /** The bearer token for API calls, or null without a live session. */
  accessToken(): string | null {
    return this.checkSession() ? (this.session()?.accessToken ?? null) : null;
  }

  /** True when the user's role grants at least `required` (admin > operator > viewer). */
  hasRole(required: Role): boolean {
    const user = this.user();
    return user !== null && roleSatisfies(user.role, required);
  }

  /**
   * Asks the server who the token belongs to and takes over the answer, so a role changed by an
   * admin shows without a new login. A rejected token ends the session (see authInterceptor).
   */
  refreshUser(): Observable<SessionUser> {
    return this.http.get<SessionUser>(CURRENT_USER_URL).pipe(
      tap((user) => {
        const session = this.session();
        if (!session) return;
        const refreshed: Session = { ...session, user: { username: user.username, role: user.role } };
        this.store.write(refreshed);
        this.session.set(refreshed);
      }),
    );
  }

  private adopt(session: Session | null): void {
    clearTimeout(this.expiryTimer);
    this.session.set(session && !isExpired(session, Date.now()) ? session : null);
    if (session && !this.session()) this.store.clear();
    this.scheduleExpiry();
  }

  private end(): void {
    clearTimeout(this.expiryTimer);
    this.store.clear();
    this.session.set(null);
  }

  private scheduleExpiry(): void {
    const session = this.session();
    if (!session) return;
    const delay = Math.min(Math.max(session.expiresAt - Date.now(), 0), MAX_TIMER_DELAY_MS);
    this.expiryTimer = setTimeout(() => {
      if (this.checkSession()) {
        this.scheduleExpiry();
      } else {
        this.logout({ returnUrl: this.router.url, expired: true });
      }
    }, delay);
  }

  /** Another tab logged in, logged out or switched user: follow it. */
  private followOtherTab(): void {
    const wasLoggedIn = this.isLoggedIn();
    this.adopt(this.store.read());
    if (wasLoggedIn && !this.isLoggedIn()) {
      void this.router.navigate([LOGIN_PATH], { queryParams: { returnUrl: this.router.url } });
    }
  }
}

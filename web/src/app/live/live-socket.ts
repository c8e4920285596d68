import { DestroyRef, effect, inject, Injectable, signal } from '@angular/core';
import type { SocketEventName } from '@rpi-deploy/contracts';
import { filter, map, Observable, Subject } from 'rxjs';
import { io, type Socket } from 'socket.io-client';
import { AuthService } from '../auth/auth.service';

export type LiveConnectionState = 'connecting' | 'connected' | 'reconnecting';

/** After the server refused the handshake, wait this long before asking again. */
const REFUSED_RETRY_MS = 5_000;

/**
 * The one socket.io connection of the app to the management listener's live gateway. It opens
 * while someone is signed in, closes at logout, and comes back by itself after a network drop or
 * a server restart. Pages subscribe with `on(event)` and reload their snapshot on `connected$`,
 * which fires on every (re)connection because events sent while disconnected are lost.
 */
@Injectable({ providedIn: 'root' })
export class LiveSocket {
  private readonly auth = inject(AuthService);
  private readonly events = new Subject<{ name: string; payload: unknown }>();
  private readonly connects = new Subject<void>();
  private socket: Socket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  readonly state = signal<LiveConnectionState>('connecting');
  readonly connected$: Observable<void> = this.connects.asObservable();

  constructor() {
    effect(() => (this.auth.isLoggedIn() ? this.open() : this.close()));
    inject(DestroyRef).onDestroy(() => this.close());
  }

  /** Payloads of one event, for as long as the subscription lasts (across reconnections). */
  on<T>(name: SocketEventName): Observable<T> {
    return this.events.pipe(
      filter((event) => event.name === name),
      map((event) => event.payload as T),
    );
  }

  private open(): void {
    if (this.socket) return;
    this.state.set('connecting');
    const socket = io({
      path: '/socket.io',
      // A function, so every reconnection sends the token of the session at that moment.
      auth: (send) => send({ token: this.auth.accessToken() ?? '' }),
      reconnectionDelay: 1_000,
      reconnectionDelayMax: 5_000,
    });
    socket.on('connect', () => {
      this.state.set('connected');
      this.connects.next();
    });
    socket.on('disconnect', (reason) => {
      this.state.set('reconnecting');
      // The server ends the sockets of a session that ended (user disabled, password or role
      // changed) and socket.io leaves that to us: asking who we are sends a dead session to the
      // login page (through the interceptor), a live one (a fresh token) reconnects.
      if (reason === 'io server disconnect') this.askWhoWeAre(socket);
    });
    socket.on('connect_error', () => {
      this.state.set('reconnecting');
      // socket.io retries transport failures itself; a refused handshake (token no longer
      // accepted, e.g. the server was reset) it does not. Asking who we are ends the session
      // through the interceptor when the token is dead; otherwise try again a little later.
      if (!socket.active) this.retryRefused(socket);
    });
    socket.onAny((name: string, payload: unknown) => this.events.next({ name, payload }));
    this.socket = socket;
  }

  private retryRefused(socket: Socket): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.askWhoWeAre(socket), REFUSED_RETRY_MS);
  }

  /** Reconnects while the session is still good; a rejected token ends it (authInterceptor). */
  private askWhoWeAre(socket: Socket): void {
    this.auth.refreshUser().subscribe({
      next: () => {
        if (this.socket === socket) socket.connect();
      },
      error: () => {
        if (this.socket === socket) this.retryRefused(socket);
      },
    });
  }

  private close(): void {
    clearTimeout(this.retryTimer);
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
  }
}

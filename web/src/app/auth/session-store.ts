import { DOCUMENT, inject, Injectable } from '@angular/core';
import { parseSession, type Session } from './session';

export const SESSION_STORAGE_KEY = 'rpi-deploy.session';

/**
 * Keeps the session in localStorage so it survives reloads and is shared by the tabs of one
 * browser. When storage is unavailable (blocked by policy, private mode) the session simply
 * lasts as long as the page.
 */
@Injectable({ providedIn: 'root' })
export class SessionStore {
  private readonly window = inject(DOCUMENT).defaultView;

  read(): Session | null {
    const text = this.attempt((storage) => storage.getItem(SESSION_STORAGE_KEY));
    if (!text) return null;
    let session: Session | null = null;
    try {
      session = parseSession(JSON.parse(text));
    } catch {
      // Not JSON: treated like any other unusable value below.
    }
    if (!session) this.clear();
    return session;
  }

  write(session: Session): void {
    this.attempt((storage) => storage.setItem(SESSION_STORAGE_KEY, JSON.stringify(session)));
  }

  clear(): void {
    this.attempt((storage) => storage.removeItem(SESSION_STORAGE_KEY));
  }

  /** Calls `onChange` whenever another tab stores or clears the session; returns the unsubscribe. */
  watchOtherTabs(onChange: () => void): () => void {
    const window = this.window;
    if (!window) return () => undefined;
    const listener = (event: StorageEvent) => {
      if (event.key === SESSION_STORAGE_KEY || event.key === null) onChange();
    };
    window.addEventListener('storage', listener);
    return () => window.removeEventListener('storage', listener);
  }

  private attempt<T>(use: (storage: Storage) => T): T | null {
    try {
      return this.window ? use(this.window.localStorage) : null;
    } catch {
      return null;
    }
  }
}

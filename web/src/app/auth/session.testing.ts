import type { Role } from '@rpi-deploy/contracts';
import type { Session } from './session';
import { SESSION_STORAGE_KEY } from './session-store';

/** Test helper: a session as AuthService would have stored it. */
export function storedSession(overrides: Partial<Session> & { role?: Role } = {}): Session {
  const { role = 'operator', ...rest } = overrides;
  return {
    accessToken: 'token-123',
    user: { username: 'alice', role },
    expiresAt: Date.now() + 60 * 60 * 1000,
    ...rest,
  };
}

/** Test helper: puts a session in localStorage before AuthService starts. */
export function storeSession(session: Session = storedSession()): Session {
  localStorage.setItem(SESSION_STORAGE_KEY, JSON.stringify(session));
  return session;
}

export function readStoredSession(): unknown {
  const text = localStorage.getItem(SESSION_STORAGE_KEY);
  return text === null ? null : JSON.parse(text);
}

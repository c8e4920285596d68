import { isRole, type LoginResponse } from '@rpi-deploy/contracts';

/** Who is signed in, as the server reported it at login. */
export type SessionUser = LoginResponse['user'];

/** What the browser keeps between page loads to stay signed in. */
export interface Session {
  accessToken: string;
  user: SessionUser;
  /** When the token stops being accepted, in milliseconds since the epoch. */
  expiresAt: number;
}

export function sessionFromLogin(response: LoginResponse, now: number): Session {
  return {
    accessToken: response.accessToken,
    user: { username: response.user.username, role: response.user.role },
    expiresAt: now + response.expiresIn * 1000,
  };
}

export function isExpired(session: Session, now: number): boolean {
  return now >= session.expiresAt;
}

/** The session in `value` when it has the right shape (it comes from storage anyone can edit), else null. */
export function parseSession(value: unknown): Session | null {
  if (typeof value !== 'object' || value === null) return null;
  const { accessToken, user, expiresAt } = value as Partial<Record<keyof Session, unknown>>;
  if (typeof accessToken !== 'string' || accessToken === '') return null;
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return null;
  if (typeof user !== 'object' || user === null) return null;
  const { username, role } = user as Partial<Record<keyof SessionUser, unknown>>;
  if (typeof username !== 'string' || username === '' || !isRole(role)) return null;
  return { accessToken, user: { username, role }, expiresAt };
}

import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

export const WINDOW_MS = 60_000;
/** Bounds memory under a flood of made-up user names; the oldest keys go first. */
const MAX_TRACKED_KEYS = 10_000;

/**
 * Limits FAILED password checks (logins, and changing one's own password) per client address and
 * user name over a sliding minute. Counting only failures (unlike a request throttler) lets
 * scripts log in as often as they like with the right password, while guessing one account's
 * password stays slow; colleagues behind the same venue NAT are not locked out by someone else's
 * typos on another account.
 *
 * An attempt counts as failed from the moment it starts until its password proves right: the
 * check (argon2) is slow, so counting only after it let hundreds of concurrent guesses all pass
 * the limit before the first of them was counted.
 *
 * Kept in memory: SQLite serves one process. On PostgreSQL, SharedLoginAttempts takes its place.
 */
@Injectable()
export class LoginAttempts {
  private readonly failures = new Map<string, number[]>();

  constructor(protected readonly config: AppConfig) {}

  /** Counts one attempt, or throws 429 while this address has used up its attempts for this user. */
  begin(address: string, username: string, now = Date.now()): void | Promise<void> {
    const id = key(address, username);
    const recent = this.recent(id, now);
    if (recent.length >= this.config.loginAttemptsPerMinute) throw tooMany(recent[0], now);
    this.failures.delete(id);
    this.failures.set(id, [...recent, now]);
    if (this.failures.size > MAX_TRACKED_KEYS) this.failures.delete(this.failures.keys().next().value!);
  }

  /** The password was right: this address's earlier attempts for this user are forgiven. */
  succeeded(address: string, username: string): void | Promise<void> {
    this.failures.delete(key(address, username));
  }

  private recent(id: string, now: number): number[] {
    return (this.failures.get(id) ?? []).filter((time) => time > now - WINDOW_MS);
  }
}

export function tooMany(oldest: number, now: number): HttpException {
  const retryInSeconds = Math.ceil((oldest + WINDOW_MS - now) / 1000);
  return new HttpException(
    `Too many failed logins for this user from your address: try again in ${retryInSeconds} s`,
    HttpStatus.TOO_MANY_REQUESTS,
  );
}

export function key(address: string, username: string): string {
  return `${address}|${username.toLowerCase()}`;
}

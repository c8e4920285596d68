import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

const WINDOW_MS = 60_000;
/** Bounds memory under a flood of made-up user names; the oldest keys go first. */
const MAX_TRACKED_KEYS = 10_000;

/**
 * Limits FAILED logins per client address and user name over a sliding minute. Counting only
 * failures (unlike a request throttler) lets scripts log in as often as they like with the
 * right password, while guessing one account's password stays slow; colleagues behind the
 * same venue NAT are not locked out by someone else's typos on another account.
 */
@Injectable()
export class LoginAttempts {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly config: AppConfig) {}

  /** Throws 429 while this address has used up its failed attempts for this user. */
  check(address: string, username: string, now = Date.now()): void {
    const recent = this.recent(key(address, username), now);
    if (recent.length >= this.config.loginAttemptsPerMinute) {
      const retryInSeconds = Math.ceil((recent[0] + WINDOW_MS - now) / 1000);
      throw new HttpException(
        `Too many failed logins for this user from your address: try again in ${retryInSeconds} s`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
  }

  recordFailure(address: string, username: string, now = Date.now()): void {
    const id = key(address, username);
    const recent = this.recent(id, now);
    this.failures.delete(id);
    this.failures.set(id, [...recent, now]);
    if (this.failures.size > MAX_TRACKED_KEYS) this.failures.delete(this.failures.keys().next().value!);
  }

  recordSuccess(address: string, username: string): void {
    this.failures.delete(key(address, username));
  }

  private recent(id: string, now: number): number[] {
    return (this.failures.get(id) ?? []).filter((time) => time > now - WINDOW_MS);
  }
}

function key(address: string, username: string): string {
  return `${address}|${username.toLowerCase()}`;
}

import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Transactions } from '../database/transactions';
import { key, LoginAttempts, tooMany, WINDOW_MS } from './login-attempts';

/** Advisory-lock key space of the login limiter (see cluster-job.ts for the others). */
const LIMITER_LOCK_SPACE = 6;

/**
 * The login limiter of instances sharing one PostgreSQL: the failures are rows of
 * `login_failures`, so guesses spread over several instances count together. Counting and
 * adding one attempt happen under an advisory lock on the key, so concurrent guesses cannot all
 * pass the limit before the first is counted (as in LoginAttempts).
 */
@Injectable()
export class SharedLoginAttempts extends LoginAttempts {
  constructor(
    config: AppConfig,
    private readonly transactions: Transactions,
  ) {
    super(config);
  }

  override async begin(address: string, username: string, now = Date.now()): Promise<void> {
    const id = key(address, username);
    await this.transactions.run(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LIMITER_LOCK_SPACE, id]);
      // Older failures of every key go: the table holds one minute at most.
      await manager.query('DELETE FROM login_failures WHERE at_ms <= $1', [now - WINDOW_MS]);
      const [{ count, oldest }] = await manager.query<Array<{ count: string; oldest: string | null }>>(
        'SELECT COUNT(*) AS count, MIN(at_ms) AS oldest FROM login_failures WHERE key = $1',
        [id],
      );
      if (Number(count) >= this.config.loginAttemptsPerMinute) throw tooMany(Number(oldest), now);
      await manager.query('INSERT INTO login_failures (key, at_ms) VALUES ($1, $2)', [id, now]);
    });
  }

  override async succeeded(address: string, username: string): Promise<void> {
    await this.transactions.run((manager) =>
      manager.query('DELETE FROM login_failures WHERE key = $1', [key(address, username)]),
    );
  }
}

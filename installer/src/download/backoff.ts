import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (1-based): doubling from `initialMs` up to `maxMs`, with
 * +-20% jitter so a fleet of units that lost the server together does not come back in lockstep.
 */
export function backoffDelay(attempt: number, { initialMs, maxMs }: Backoff): number {
  const exponential = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.8 + Math.random() * 0.4));
}

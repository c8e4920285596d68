import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import { QUEUE_POSITION_HEADER, UNIT_HEADER, waitingInLine } from '@rpi-deploy/contracts';
import { AppConfig } from '../../config/app-config';

export type Admission = { admitted: true } | { admitted: false; position: number; retryAfterSeconds: number };

interface Holder {
  lastSeen: number;
  since: number;
}

/** Never tell a unit to come back sooner than this (a flood of 503s costs more than it saves). */
const MIN_RETRY_SECONDS = 1;
const MAX_RETRY_SECONDS = 60;
/** A unit's transfer time assumed until one finished transfer was measured. */
const FIRST_GUESS_SECONDS = 60;

/**
 * How many units draw image and chunk bytes from the server at once (AppConfig
 * deployments.maxServerTransfers). A unit holds its slot for its whole transfer, not per
 * request: from its first admitted request until it says it is done (release), or it sends
 * nothing for admissionSilenceSeconds. The others wait in line first come first served and
 * are told when to come back from their place and the observed transfer times.
 *
 * State is in this process: one server instance holds the line. Several instances behind one
 * address (issue 21) need it in the database or a shared store.
 */
@Injectable()
export class ServerAdmission implements OnModuleDestroy {
  private readonly holders = new Map<string, Holder>();
  /** Waiting units in arrival order (Map keeps insertion order), with when each last asked. */
  private readonly waiting = new Map<string, number>();
  private readonly changed = new Subject<void>();
  private averageTransferSeconds = FIRST_GUESS_SECONDS;
  private readonly sweeper: NodeJS.Timeout;

  /** Fires whenever a queue position may have changed (for the live deployment views). */
  readonly changed$: Observable<void> = this.changed.asObservable();

  constructor(private readonly config: AppConfig) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(5000, this.silenceMs() / 2));
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Whether `unit` may be sent bytes now; a unit already holding a slot always may. */
  admit(unit: string, now = Date.now()): Admission {
    const cap = this.config.deployments.maxServerTransfers;
    const holder = this.holders.get(unit);
    if (cap === 0 || holder) {
      if (holder) holder.lastSeen = now;
      return { admitted: true };
    }
    this.sweep(now);
    if (!this.waiting.has(unit)) {
      this.waiting.set(unit, now);
      this.changed.next();
    } else this.waiting.set(unit, now);
    const position = this.positionOf(unit) as number;
    if (this.holders.size < cap && position === 1) {
      this.waiting.delete(unit);
      this.holders.set(unit, { lastSeen: now, since: now });
      this.changed.next();
      return { admitted: true };
    }
    return { admitted: false, position, retryAfterSeconds: this.retryAfter(position, cap) };
  }

  /** The unit's transfer ended (finished, failed, cancelled): its slot or place goes to the next. */
  release(unit: string, now = Date.now()): void {
    const holder = this.holders.get(unit);
    if (holder) {
      // Transfer times of units that finished, smoothed: what the next in line can expect.
      const seconds = (now - holder.since) / 1000;
      this.averageTransferSeconds = 0.7 * this.averageTransferSeconds + 0.3 * seconds;
      this.holders.delete(unit);
      this.changed.next();
    }
    if (this.waiting.delete(unit)) this.changed.next();
  }

  /** The unit is still at work on its transfer (a status report): a slot it holds stays its own. */
  touch(unit: string, now = Date.now()): void {
    const holder = this.holders.get(unit);
    if (holder) holder.lastSeen = now;
  }

  /** 1-based place in line, or null when the unit is not waiting. */
  positionOf(unit: string): number | null {
    let position = 1;
    for (const waiting of this.waiting.keys()) {
      if (waiting === unit) return position;
      position += 1;
    }
    return null;
  }

  /** The units waiting, first in line first. */
  waitingUnits(): string[] {
    return [...this.waiting.keys()];
  }

  /** Units holding a slot now. */
  get active(): number {
    return this.holders.size;
  }

  /**
   * The unit at place p waits for about ceil(p / cap) transfers to end, each slot freeing once
   * per average transfer; the first in line comes back soon, since a slot may free any moment.
   */
  private retryAfter(position: number, cap: number): number {
    const rounds = Math.floor((position - 1) / cap);
    const seconds = position === 1 ? MIN_RETRY_SECONDS : (rounds + 0.5) * this.averageTransferSeconds;
    return Math.round(Math.min(MAX_RETRY_SECONDS, Math.max(MIN_RETRY_SECONDS, seconds)));
  }

  /** Frees the slots and places of units that went silent. */
  private sweep(now = Date.now()): void {
    const before = now - this.silenceMs();
    let freed = false;
    for (const [unit, holder] of this.holders) {
      if (holder.lastSeen < before) {
        this.holders.delete(unit);
        freed = true;
      }
    }
    // A waiting unit asks again within its Retry-After (at most MAX_RETRY_SECONDS).
    const waitingBefore = before - MAX_RETRY_SECONDS * 1000;
    for (const [unit, lastAsked] of this.waiting) {
      if (lastAsked < waitingBefore) {
        this.waiting.delete(unit);
        freed = true;
      }
    }
    if (freed) this.changed.next();
  }

  private silenceMs(): number {
    return this.config.deployments.admissionSilenceSeconds * 1000;
  }
}

const UNIT_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * The admission check for one image or chunk request: true when the bytes may be sent; else it
 * has answered 503 with Retry-After. A unit is its deployment id (UNIT_HEADER), or its address
 * for an installer that does not send one.
 */
export function admitRequest(
  admission: ServerAdmission,
  request: { headers: Record<string, string | string[] | undefined>; ip?: string },
  response: {
    status(code: number): unknown;
    setHeader(name: string, value: string): unknown;
    json(body: unknown): unknown;
  },
): boolean {
  const named = request.headers[UNIT_HEADER];
  const unit = typeof named === 'string' && UNIT_ID.test(named) ? named : `address:${request.ip ?? 'unknown'}`;
  const answer = admission.admit(unit);
  if (answer.admitted) return true;
  response.status(503);
  response.setHeader('Retry-After', String(answer.retryAfterSeconds));
  response.setHeader(QUEUE_POSITION_HEADER, String(answer.position));
  response.json({
    statusCode: 503,
    message: waitingInLine(answer.position),
    position: answer.position,
    retryAfterSeconds: answer.retryAfterSeconds,
  });
  return false;
}

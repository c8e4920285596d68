import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import { QUEUE_POSITION_HEADER, UNIT_HEADER, waitingInLine } from '@rpi-deploy/contracts';
import { AppConfig } from '../../config/app-config';

/** An admitted request: `done` once its answer was sent or broke off. */
export interface Turn {
  done(): void;
}

export type Admission = ({ admitted: true } & Turn) | { admitted: false; position: number; retryAfterSeconds: number };

/**
 * What a request draws: a chunk (a short answer; a unit fetching chunks asks again and again) or
 * image bytes (one long answer, possibly sent on by nginx or a download worker after the request
 * handler is done, and kept alive by the unit's status reports).
 */
export type Draw = 'chunk' | 'image';

/** The turn of a request that is not rationed (no cap, HEAD, the block map). */
const UNRATIONED: Turn = { done: () => undefined };

interface Holder {
  /** When the unit got its slot. */
  since: number;
  /** Its admitted requests whose answers are still being sent. */
  inFlight: number;
  /** When it last asked, or when its last answer ended. */
  lastActive: number;
  /** When it last reported (status reports keep an image stream's slot). */
  lastReport: number;
  /** It draws image bytes: one long answer the server may not see the end of. */
  streaming: boolean;
}

/** Never tell a unit to come back sooner than this (a flood of 503s costs more than it saves). */
const MIN_RETRY_SECONDS = 1;
const MAX_RETRY_SECONDS = 60;
/**
 * A unit waiting for chunks comes back at least this often: slots of units fetching chunks turn
 * over within seconds (they give them back when idle), and a free slot goes to whoever asks.
 */
const MAX_CHUNK_RETRY_SECONDS = 5;
/** A unit in line told to come back within this much of now is expected: a free slot waits for it. */
const COMING_BACK_MS = 1_000;
/** How long a unit holds its slot, assumed until one slot was given back. */
const FIRST_GUESS_SECONDS = 60;

/**
 * How many units draw image and chunk bytes from the server at once (AppConfig
 * deployments.maxServerTransfers). A unit holds its slot while it draws from the server, until it
 * says it is past its download (release):
 * - fetching chunks, while it has an answer in flight or asks again within admissionIdleSeconds.
 *   A unit that stops asking (it fetches from its neighbours, or crashed) gives its slot to the
 *   next in line, so with peers the cap counts the units the server actually feeds;
 * - streaming image bytes (one long answer, which nginx or a download worker may still be sending
 *   when the request handler is done), while it reports or asks within admissionSilenceSeconds.
 * The others wait in line first come first served and are told when to come back from their
 * place and how long slots were held lately; a free slot goes to the first in line that asks,
 * unless one ahead of it is due back within a second. A waiting unit that stops asking for
 * admissionSilenceSeconds (beyond its Retry-After) loses its place.
 *
 * State is in this process: each instance rations the downloads it serves (docs: scaling out).
 */
@Injectable()
export class ServerAdmission implements OnModuleDestroy {
  private readonly holders = new Map<string, Holder>();
  /** Waiting units in arrival order (Map keeps insertion order): when each last asked, and was told to come back. */
  private readonly waiting = new Map<string, { lastAsked: number; dueAt: number }>();
  private readonly changed = new Subject<void>();
  private averageHoldSeconds = FIRST_GUESS_SECONDS;
  private readonly sweeper: NodeJS.Timeout;

  /** Fires whenever a queue position may have changed (for the live deployment views). */
  readonly changed$: Observable<void> = this.changed.asObservable();

  /** The time, replaceable in unit tests. */
  clock: () => number = Date.now;

  constructor(private readonly config: AppConfig) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(1000, this.idleMs() / 2));
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /**
   * Whether `unit` may be sent bytes now (a unit already holding a slot always may). An admitted
   * request is in flight until `done` is called (its answer was sent or broke off).
   */
  admit(unit: string, draw: Draw = 'chunk'): Admission {
    const now = this.clock();
    const cap = this.config.deployments.maxServerTransfers;
    if (cap === 0) return { admitted: true, ...UNRATIONED };
    this.sweep(now);
    let holder = this.holders.get(unit);
    if (!holder) {
      const place = this.waiting.get(unit);
      this.waiting.set(unit, { lastAsked: now, dueAt: place?.dueAt ?? now });
      // Told once the unit is in line: the live views read the positions when told.
      if (!place) this.changed.next();
      const position = this.positionOf(unit) as number;
      if (this.holders.size + this.comingBackAhead(unit, now) >= cap) {
        const retryAfterSeconds = Math.min(
          this.retryAfter(position, cap),
          draw === 'chunk' ? MAX_CHUNK_RETRY_SECONDS : MAX_RETRY_SECONDS,
        );
        this.waiting.set(unit, { lastAsked: now, dueAt: now + retryAfterSeconds * 1000 });
        return { admitted: false, position, retryAfterSeconds };
      }
      this.waiting.delete(unit);
      this.holders.set(
        unit,
        (holder = { since: now, inFlight: 0, lastActive: now, lastReport: now, streaming: false }),
      );
      this.changed.next();
    }
    const admitted = holder;
    admitted.inFlight += 1;
    admitted.lastActive = now;
    admitted.streaming ||= draw === 'image';
    let ended = false;
    return {
      admitted: true,
      done: () => {
        if (ended) return;
        ended = true;
        admitted.inFlight -= 1;
        admitted.lastActive = this.clock();
      },
    };
  }

  /** The unit is past its download (or ended): its slot or place goes to the next. */
  release(unit: string): void {
    const now = this.clock();
    if (this.holders.has(unit)) this.giveBack(unit, now);
    if (this.waiting.delete(unit)) this.changed.next();
  }

  /** The unit reported (still at its download): an image stream's slot stays its own. */
  touch(unit: string): void {
    const holder = this.holders.get(unit);
    if (holder) holder.lastReport = this.clock();
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
   * Units ahead of `unit` in line that were told to come back about now: a free slot is kept for
   * them. One told to come back later (or that did not come back when told) does not hold up the
   * unit asking now, so a free slot never idles for long.
   */
  private comingBackAhead(unit: string, now: number): number {
    let count = 0;
    for (const [waiting, { dueAt }] of this.waiting) {
      if (waiting === unit) break;
      if (Math.abs(dueAt - now) <= COMING_BACK_MS) count += 1;
    }
    return count;
  }

  /**
   * The unit at place p waits for about ceil(p / cap) slots to be given back, each held for the
   * recent average; the first in line comes back soon, since a slot may free any moment.
   */
  private retryAfter(position: number, cap: number): number {
    const rounds = Math.floor((position - 1) / cap);
    const seconds = position === 1 ? MIN_RETRY_SECONDS : (rounds + 0.5) * this.averageHoldSeconds;
    return Math.round(Math.min(MAX_RETRY_SECONDS, Math.max(MIN_RETRY_SECONDS, seconds)));
  }

  private giveBack(unit: string, now: number): void {
    const holder = this.holders.get(unit) as Holder;
    // How long slots were held lately, smoothed: what the ones in line can expect.
    this.averageHoldSeconds = 0.7 * this.averageHoldSeconds + 0.3 * ((now - holder.since) / 1000);
    this.holders.delete(unit);
    this.changed.next();
  }

  /** Takes back the slots of units that stopped drawing, and the places of units that stopped asking. */
  private sweep(now = this.clock()): void {
    const idleSince = now - this.idleMs();
    const silentSince = now - this.config.deployments.admissionSilenceSeconds * 1000;
    for (const [unit, holder] of this.holders) {
      const gone = holder.streaming
        ? Math.max(holder.lastActive, holder.lastReport) < silentSince
        : holder.inFlight === 0 && holder.lastActive < idleSince;
      if (gone) this.giveBack(unit, now);
    }
    // A waiting unit asks again within its Retry-After (at most MAX_RETRY_SECONDS).
    const waitingBefore = silentSince - MAX_RETRY_SECONDS * 1000;
    for (const [unit, { lastAsked }] of this.waiting) {
      if (lastAsked < waitingBefore) {
        this.waiting.delete(unit);
        this.changed.next();
      }
    }
  }

  private idleMs(): number {
    return this.config.deployments.admissionIdleSeconds * 1000;
  }
}

const UNIT_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * The admission check for one image or chunk request: the request's turn when the bytes may be
 * sent (its `done` once they were); else null, and it has answered 503 with Retry-After. A unit is its deployment id (UNIT_HEADER), or its address
 * for an installer that does not send one.
 */
function admitRequest(
  admission: ServerAdmission,
  draw: Draw,
  request: { headers: Record<string, string | string[] | undefined>; ip?: string },
  response: {
    status(code: number): unknown;
    setHeader(name: string, value: string): unknown;
    json(body: unknown): unknown;
  },
): Turn | null {
  const named = request.headers[UNIT_HEADER];
  const unit = typeof named === 'string' && UNIT_ID.test(named) ? named : `address:${request.ip ?? 'unknown'}`;
  const answer = admission.admit(unit, draw);
  if (answer.admitted) return answer;
  response.status(503);
  response.setHeader('Retry-After', String(answer.retryAfterSeconds));
  response.setHeader(QUEUE_POSITION_HEADER, String(answer.position));
  response.json({
    statusCode: 503,
    message: waitingInLine(answer.position),
    position: answer.position,
    retryAfterSeconds: answer.retryAfterSeconds,
  });
  return null;
}

/**
 * Sends one download in the unit's turn: rationed bytes (`draw`; null for HEAD or the block map)
 * wait in line, answered 503 with Retry-After when they must, and the answer counts as in flight
 * on the unit's slot until `send` is done.
 */
export async function sendInTurn(
  admission: ServerAdmission,
  draw: Draw | null,
  request: Parameters<typeof admitRequest>[2],
  response: Parameters<typeof admitRequest>[3],
  send: () => Promise<void>,
): Promise<void> {
  const turn = draw ? admitRequest(admission, draw, request, response) : UNRATIONED;
  if (!turn) return;
  try {
    await send();
  } finally {
    turn.done();
  }
}

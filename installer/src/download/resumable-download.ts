import type { IncomingMessage } from 'node:http';
import { backoffDelay, sleep } from './backoff';
import { isTransientStatus, open } from './http-client';
import { QUEUE_POSITION_HEADER } from '@rpi-deploy/contracts';
import { InstallError } from '../install-error';
import type { ServerTurn } from './server-turn';

export interface DownloadOptions {
  /** Attempts in a row that may fail without receiving a byte before the download gives up. */
  retries: number;
  retryDelayMs: number;
  /** A connection that delivers nothing for this long is dropped and resumed. */
  stallTimeoutMs: number;
  log: (line: string) => void;
  /** Called with the size of every piece received from the network. */
  onBytes: (count: number) => void;
  /** Where the server's admission line is kept (image and chunk bytes); without it a 503 is a plain retry. */
  turn?: ServerTurn;
  /**
   * The bytes may come from elsewhere too (neighbours): told to wait in line, the download ends
   * with WaitInLine instead of waiting, so the caller looks there meanwhile.
   */
  elsewhere?: boolean;
}

/**
 * What all requests of one install share: the image's ETag. Every resumed or further range
 * request must get the same one back, so pieces of two different images are never mixed.
 */
export interface DownloadSession {
  etag?: string;
}

const MAX_RETRY_DELAY_MS = 30_000;

/** Failures that another attempt cannot fix (the image is gone or changed, the server cannot do ranges). */
class FatalDownloadError extends InstallError {}

/** The server admits other units first: come back after `seconds` (not a failure). */
export class WaitInLine extends Error {
  constructor(
    readonly seconds: number,
    readonly position: number | null,
  ) {
    super(`the server asks to wait ${seconds} s`);
  }
}

/**
 * Bytes [start, end) of `url` (to the end of the file when `end` is undefined). When the
 * connection drops or stalls, it asks again with `Range: bytes=<next byte>-` and `If-Range: <ETag>`
 * and carries on where the previous answer stopped, so no byte is delivered twice or skipped.
 */
export async function* downloadRange(
  url: string,
  start: number,
  end: number | undefined,
  session: DownloadSession,
  options: DownloadOptions,
): AsyncGenerator<Buffer> {
  let position = start;
  let failures = 0;
  for (;;) {
    let response: IncomingMessage | undefined;
    let stall: StallWatch | undefined;
    try {
      const headers: Record<string, string> = {
        range: `bytes=${position}-${end === undefined ? '' : end - 1}`,
        'accept-encoding': 'identity',
      };
      if (session.etag) headers['if-range'] = session.etag;
      if (options.turn) {
        await options.turn.ready();
        Object.assign(headers, options.turn.headers);
      }
      response = await open(url, { headers, timeoutMs: options.stallTimeoutMs });
      const expectedEnd = checkAnswer(response, url, position, end, session);
      options.turn?.served();
      const body = response[Symbol.asyncIterator]();
      stall = new StallWatch(response, options.stallTimeoutMs);
      for (;;) {
        const chunk = await stall.next(body);
        if (chunk === undefined) break;
        position += chunk.length;
        failures = 0;
        options.onBytes(chunk.length);
        yield chunk;
      }
      if (expectedEnd === undefined || position >= expectedEnd) return;
      throw new Error(`the connection closed at byte ${position} of ${expectedEnd}`);
    } catch (error) {
      if (error instanceof FatalDownloadError) throw error;
      if (error instanceof WaitInLine) {
        // Waiting in line is the plan, not a failure: it uses none of the retries.
        const line = options.turn?.wait(error.seconds, error.position);
        options.log(line ?? `the server is busy; asking again in ${error.seconds} s`);
        if (options.elsewhere) throw error;
        if (!options.turn) await sleep(error.seconds * 1000);
        continue;
      }
      failures += 1;
      const reason = (error as Error).message;
      if (failures > options.retries) {
        throw new InstallError(
          `download failed: ${reason} (at byte ${position} of ${url}, ${options.retries} retries used)`,
          'network',
        );
      }
      const delay = backoffDelay(failures, { initialMs: options.retryDelayMs, maxMs: MAX_RETRY_DELAY_MS });
      options.log(
        `download interrupted at byte ${position} (${reason}); resuming in ${(delay / 1000).toFixed(1)} s ` +
          `(retry ${failures} of ${options.retries})`,
      );
      await sleep(delay);
    } finally {
      stall?.stop();
      response?.destroy();
    }
  }
}

/**
 * Validates the answer to a range request and returns the offset where its body ends
 * (undefined when the server does not say). Throws FatalDownloadError for answers no retry
 * can fix, a plain Error for ones worth retrying (5xx).
 */
function checkAnswer(
  response: IncomingMessage,
  url: string,
  position: number,
  end: number | undefined,
  session: DownloadSession,
): number | undefined {
  const status = response.statusCode ?? 0;
  const etag = header(response, 'etag');
  if (status === 206 || status === 200) {
    if (session.etag && etag !== session.etag) {
      throw new FatalDownloadError(
        `the image changed on the server during the download (ETag ${session.etag} became ${etag ?? 'none'}); start the install again`,
      );
    }
    session.etag ??= etag;
  }
  if (status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(response, 'content-range') ?? '');
    const bodyEnd = range ? Number(range[2]) + 1 : NaN;
    if (!range || Number(range[1]) !== position || (end !== undefined && bodyEnd !== end)) {
      throw new FatalDownloadError(
        `the server answered the request for bytes ${position}-${end ?? ''} of ${url} with ` +
          `"${header(response, 'content-range') ?? 'no Content-Range'}"`,
      );
    }
    return bodyEnd;
  }
  if (status === 200) {
    // A full answer: fine for a download from byte 0, useless for a resume.
    if (position !== 0) {
      throw new FatalDownloadError(
        `the server ignored the Range request for ${url} (HTTP 200), so the download cannot resume`,
      );
    }
    const length = Number(header(response, 'content-length'));
    return Number.isFinite(length) && length > 0 ? Math.min(length, end ?? length) : end;
  }
  const retryAfter = header(response, 'retry-after');
  if (status === 503 && retryAfter !== undefined && /^\d+$/.test(retryAfter)) {
    const position = Number(header(response, QUEUE_POSITION_HEADER));
    throw new WaitInLine(Number(retryAfter), Number.isInteger(position) && position > 0 ? position : null);
  }
  if (isTransientStatus(status)) throw new Error(`HTTP ${status} from the server`);
  if (status === 404 || status === 410)
    throw new FatalDownloadError(`the image is not on the server (HTTP ${status}): ${url}`);
  throw new FatalDownloadError(`the server answered HTTP ${status} for ${url}`);
}

/**
 * Drops a response that delivers nothing for `stallTimeoutMs` while it is waited on. Only the wait
 * for the network is timed: while the card is busy and the consumer holds back, the connection
 * idles legitimately. One timer per response, checking when the current wait began (a timer set
 * and cleared per 64 KiB piece cost more than the piece's own handling).
 */
class StallWatch {
  private waitingSince?: number;
  private readonly timer: NodeJS.Timeout;

  constructor(response: IncomingMessage, stallTimeoutMs: number) {
    this.timer = setInterval(
      () => {
        if (this.waitingSince !== undefined && performance.now() - this.waitingSince >= stallTimeoutMs)
          response.destroy(new Error(`no data for ${stallTimeoutMs / 1000} s`));
      },
      Math.min(1000, Math.max(10, stallTimeoutMs / 10)),
    );
  }

  /** The next piece of the body, or undefined at its end. */
  async next(body: AsyncIterator<Buffer>): Promise<Buffer | undefined> {
    this.waitingSince = performance.now();
    try {
      const next = await body.next();
      return next.done ? undefined : next.value;
    } finally {
      this.waitingSince = undefined;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function header(response: IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

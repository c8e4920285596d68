import { Transform, type TransformCallback } from 'node:stream';

/** Timer lateness the link may make up for; more idle time than this earns no credit. */
const CATCH_UP_MS = 100;

/**
 * The bandwidth of one unit's link, shared by all its connections (the installer may have a
 * range request and a resume in flight). Idle time earns little credit, so a unit never bursts
 * above its rate after a pause, yet late timers do not slow it below its rate either.
 */
export class LinkRate {
  private nextFree = 0;

  constructor(private readonly bytesPerSecond: number) {}

  /** Milliseconds until `bytes` sent now would have passed through the link. */
  reserve(bytes: number): number {
    const now = performance.now();
    const start = Math.max(now - CATCH_UP_MS, this.nextFree);
    this.nextFree = start + (bytes / this.bytesPerSecond) * 1000;
    return Math.max(0, this.nextFree - now);
  }
}

/** Passes bytes on at the link's rate; holding the callback back keeps backpressure to the server. */
export function throttled(rate: LinkRate): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      setTimeout(() => done(null, chunk), rate.reserve(chunk.length));
    },
  });
}

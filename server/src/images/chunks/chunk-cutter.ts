import { createHash } from 'node:crypto';
import { CHUNK_GRID_BYTES, type ImageChunk } from '@rpi-deploy/contracts';
import { COMPRESS_THREADS } from './compress-pool';
import type { ChunkStore } from './chunk-store';

/** Chunks compressing at once (each at most CHUNK_GRID_BYTES): enough to keep every thread busy. */
const MAX_IN_FLIGHT = COMPRESS_THREADS * 2;

/**
 * Cuts an image's mapped bytes, as they go by in offset order, into chunks: a contiguous mapped
 * run intersected with one cell of the fixed CHUNK_GRID_BYTES grid. So a region that did not
 * change between two versions gives the same chunks, whatever changed elsewhere. Each chunk is
 * named by its SHA-256 and put into the store; `add` waits while too many are compressing, which
 * holds back the upload stream and bounds memory.
 */
export class ChunkCutter {
  private readonly chunks: ImageChunk[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** Digests this cutter claimed in the store, released by `release` whatever happens. */
  private readonly claimed: string[] = [];
  private open?: { offset: number; parts: Buffer[]; length: number };
  private failure?: unknown;
  private abandoned = false;

  constructor(
    private readonly store: ChunkStore,
    private readonly level: number,
  ) {}

  /** Adds mapped bytes starting at image offset `offset`; a gap since the last call ends a chunk. */
  async add(offset: number, data: Buffer): Promise<void> {
    if (this.open && this.open.offset + this.open.length !== offset) await this.cut();
    let done = 0;
    while (done < data.length) {
      const at = offset + done;
      const cellEnd = (Math.floor(at / CHUNK_GRID_BYTES) + 1) * CHUNK_GRID_BYTES;
      const take = Math.min(cellEnd - at, data.length - done);
      this.open ??= { offset: at, parts: [], length: 0 };
      this.open.parts.push(data.subarray(done, done + take));
      this.open.length += take;
      done += take;
      if (at + take === cellEnd) await this.cut();
    }
  }

  /** The image's chunks in offset order, once every one of them is stored. */
  async finish(): Promise<ImageChunk[]> {
    await this.cut();
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
    return this.chunks.sort((a, b) => a.offset - b.offset);
  }

  /**
   * After a failure: takes no more chunks and waits for those still compressing, before their
   * claims are released. The stream's writer may still be cutting when the pipeline has failed.
   */
  async settle(): Promise<void> {
    this.abandoned = true;
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /** Every digest this cutter claimed (stored or not): what to release, and to sweep on failure. */
  get claimedDigests(): readonly string[] {
    return this.claimed;
  }

  private async cut(): Promise<void> {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    if (this.failure) throw this.failure;
    while (this.inFlight.size >= MAX_IN_FLIGHT) await Promise.race(this.inFlight);
    if (this.abandoned) throw new Error('the upload failed');
    // A copy: the parts are views of the stream's buffers, which must not stay pinned.
    const data = Buffer.concat(open.parts, open.length);
    const sha256 = createHash('sha256').update(data).digest('hex');
    this.claimed.push(sha256);
    const job = this.store
      .put(sha256, data, this.level)
      .then((storedSize) => {
        this.chunks.push({ offset: open.offset, length: open.length, sha256, storedSize });
      })
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.inFlight.delete(job));
    this.inFlight.add(job);
  }
}

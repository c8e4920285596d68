import { createHash } from 'node:crypto';
import { CHUNK_GRID_BYTES, CHUNK_PROBE_BYTES, type ChunkPatch, type ImageChunk } from '@rpi-deploy/contracts';
import { COMPRESS_THREADS } from './compress-pool';
import type { ChunkStore } from './chunk-store';

/** Chunks compressing at once (each at most CHUNK_GRID_BYTES): enough to keep every thread busy. */
const MAX_IN_FLIGHT = COMPRESS_THREADS * 2;
/** A patch is kept when its frame is under this share of the chunk's own frame. */
const PATCH_PAYS_BELOW = 0.5;

/** What earlier versions held at each chunk position: offset -> the chunks found there (same length). */
export type ChunkBases = Map<number, { length: number; sha256s: string[] }>;

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
  private bases: ChunkBases = new Map();

  constructor(
    private readonly store: ChunkStore,
    /** zstd level of the chunks this cutter stores. */
    readonly level: number,
  ) {}

  /**
   * The chunks earlier versions of the product have at each position: a chunk cut where one of
   * them differs gets a patch frame against it too (set before the first bytes are added).
   */
  patchAgainst(bases: ChunkBases): void {
    this.bases = bases;
  }

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
    const probe = probeOf(data);
    // Without a patch to make, the bytes are not needed here again: the pool may move them to
    // its thread instead of copying them (twice) there.
    const patching = this.bases.get(open.offset)?.length === open.length;
    this.claimed.push(sha256);
    const job = this.store
      .put(sha256, data, this.level, !patching)
      .then(async (storedSize) => {
        const chunk: ImageChunk = { offset: open.offset, length: open.length, sha256, storedSize, probe };
        const patches = patching ? await this.patch(chunk, data) : [];
        this.chunks.push(patches.length > 0 ? { ...chunk, patches } : chunk);
      })
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.inFlight.delete(job));
    this.inFlight.add(job);
  }

  /** Patch frames of a new chunk against what its range held in the earlier versions. */
  private async patch(chunk: ImageChunk, data: Buffer): Promise<ChunkPatch[]> {
    const earlier = this.bases.get(chunk.offset);
    if (!earlier || earlier.length !== chunk.length) return [];
    const patches: ChunkPatch[] = [];
    for (const base of earlier.sha256s) {
      if (base === chunk.sha256) continue;
      this.claimed.push(base);
      const storedSize = await this.store.putPatch(
        chunk.sha256,
        base,
        data,
        this.level,
        Math.floor(chunk.storedSize * PATCH_PAYS_BELOW),
      );
      if (storedSize !== null) patches.push({ base, storedSize });
    }
    return patches;
  }
}

/** The chunk's probe (see ImageChunk.probe): lets an installer rule a card range out by reading 4 KiB of it. */
export function probeOf(data: Buffer): string {
  return createHash('sha256').update(data.subarray(0, CHUNK_PROBE_BYTES)).digest('hex').slice(0, 16);
}

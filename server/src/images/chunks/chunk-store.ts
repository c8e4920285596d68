import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { join, relative } from 'node:path';
import type { ImageChunk } from '@rpi-deploy/contracts';
import { STORED_FOLDER_MODE } from '../image-store';
import { SharedStore } from '../store/shared-store';
import { ChunkClaims } from './chunk-claims';
import { CompressPool } from './compress-pool';

/** A chunk's name: the SHA-256 (lower-case hex) of its uncompressed bytes. */
export const CHUNK_DIGEST = /^[0-9a-f]{64}$/;
const TEMPORARY_PREFIX = '.tmp-';
/** `<sha256>.from-<base>.zst`: a patch frame's file name. */
const PATCH_INFIX = '.from-';
export const PATCH_FILE = /^([0-9a-f]{64})\.from-([0-9a-f]{64})\.zst$/;

/**
 * DATA_DIR/chunks/<first two hex>/<sha256>.zst: the chunk files, immutable once in place.
 *
 * Chunks are shared between images, so a chunk may only be removed when no image references it
 * and no upload in progress is about to. Uploads *claim* each chunk they use before looking for
 * its file, and keep the claim until their image row is committed (or they failed); removal
 * skips claimed chunks. Claiming-and-looking and checking-and-removing never interleave, on
 * any instance (ChunkClaims), so an upload never counts on a file that is being removed.
 */
@Injectable()
export class ChunkStore {
  readonly folder: string;
  /** Frames being compressed right now, by path, so one is written once even when asked for twice at once. */
  private readonly writing = new Map<string, Promise<number | null>>();

  constructor(
    private readonly pool: CompressPool,
    private readonly claims: ChunkClaims,
    readonly shared: SharedStore,
  ) {
    this.folder = shared.folder('chunks');
  }

  async prepare(): Promise<void> {
    await mkdir(this.folder, { recursive: true, mode: STORED_FOLDER_MODE });
    // Frames half-written when the server stopped: never renamed into place, never referenced.
    for (const entry of await readdir(this.folder, { withFileTypes: true, recursive: true })) {
      const path = join(entry.parentPath, entry.name);
      if (entry.isFile() && entry.name.startsWith(TEMPORARY_PREFIX) && (await this.shared.isStale(path))) {
        await rm(path, { force: true });
      }
    }
  }

  /** The bucket's key of a chunk or patch frame file (S3 stores): the same path below chunks/. */
  keyOf(path: string): string {
    return this.shared.key('chunks', relative(this.folder, path));
  }

  /**
   * With an S3 store: copies an image's new chunk and patch frames to the bucket before its
   * record is committed, so every instance can serve them. Frames already there are skipped.
   */
  async publish(chunks: readonly ImageChunk[]): Promise<void> {
    const remote = this.shared.remote;
    if (!remote) return;
    const paths = new Set<string>();
    for (const chunk of chunks) {
      paths.add(this.chunkPath(chunk.sha256));
      for (const patch of chunk.patches ?? []) paths.add(this.patchPath(chunk.sha256, patch.base));
    }
    for (const path of paths) {
      const key = this.keyOf(path);
      if ((await remote.size(key)) === undefined) await remote.putFile(key, path);
    }
  }

  chunkPath(sha256: string): string {
    return join(this.folder, sha256.slice(0, 2), `${sha256}.zst`);
  }

  /** The patch frame of chunk `sha256` against chunk `base`, beside the chunk's own frame. */
  patchPath(sha256: string, base: string): string {
    return join(this.folder, sha256.slice(0, 2), `${sha256}${PATCH_INFIX}${base}.zst`);
  }

  /**
   * Claims the chunk and makes sure its file is in place, compressing `data` in the pool when it
   * is not (`handOver`: the caller is done with `data`, which the pool may then move instead of
   * copying). Resolves with the stored frame's size. The caller releases the claim.
   */
  async put(sha256: string, data: Buffer, level: number, handOver = false): Promise<number> {
    const existing = await this.claims.claimThen(sha256, () =>
      stat(this.chunkPath(sha256)).then(
        (stats) => stats.size,
        () => undefined,
      ),
    );
    if (existing !== undefined) return existing;
    const path = this.chunkPath(sha256);
    // null only for patches
    return this.compressOnce(
      path,
      { data, level, path, temporaryPath: this.temporaryPath(sha256) },
      handOver,
    ) as Promise<number>;
  }

  /**
   * Claims chunk `base` (the caller releases it with its other claims) and stores the patch
   * frame of `data` (chunk `sha256`) against it, unless one is there already. Resolves with the
   * frame's size, or null when the base is gone or the patch would not be smaller than
   * `patchBelow` bytes (then no file is written).
   */
  async putPatch(
    sha256: string,
    base: string,
    data: Buffer,
    level: number,
    patchBelow: number,
  ): Promise<number | null> {
    const path = this.patchPath(sha256, base);
    const existing = await this.claims.claimThen(base, async () => {
      const [patch, baseFile] = await Promise.all([
        stat(path).catch(() => undefined),
        stat(this.chunkPath(base)).catch(() => undefined),
      ]);
      return patch ? patch.size : baseFile ? undefined : null;
    });
    if (existing !== undefined) return existing;
    return this.compressOnce(path, {
      data,
      level,
      path,
      temporaryPath: this.temporaryPath(sha256),
      patch: { basePath: this.chunkPath(base), patchBelow },
    });
  }

  /** Compresses into `path` in the pool, once: a second caller while it runs shares the first's result. */
  private compressOnce(
    path: string,
    job: Parameters<CompressPool['compress']>[0],
    handOver = false,
  ): Promise<number | null> {
    let writing = this.writing.get(path);
    if (!writing) {
      writing = this.pool.compress(job, 'now', handOver).finally(() => this.writing.delete(path));
      this.writing.set(path, writing);
    }
    return writing;
  }

  /**
   * Stores chunk `sha256` again at `level` (it was stored at a faster one), in the pool's
   * low-priority thread: the new frame is renamed over the old one, so a download that opened the
   * old file reads it whole, and with an S3 store it replaces the bucket's copy. The chunk is
   * claimed meanwhile, so it is not removed under the recompression. Resolves with the new frame's
   * size, or null when the chunk is gone.
   */
  async recompress(sha256: string, level: number): Promise<number | null> {
    const path = this.chunkPath(sha256);
    const key = this.keyOf(path);
    const remote = this.shared.remote;
    try {
      const present = await this.claims.claimThen(sha256, async () =>
        (await exists(path)) ? true : remote ? (await remote.size(key)) !== undefined : false,
      );
      if (!present) return null;
      // S3: an instance that did not cut the chunk works on the bucket's copy.
      if (!(await exists(path))) await this.fetchRemote(key, path, sha256);
      const job = { level, path, temporaryPath: this.temporaryPath(sha256), recompress: true as const };
      const storedSize = (await this.pool.compress(job, 'background')) as number;
      await remote?.putFile(key, path);
      return storedSize;
    } finally {
      await this.claims.release([sha256]);
    }
  }

  private async fetchRemote(key: string, path: string, sha256: string): Promise<void> {
    const remote = this.shared.remote!;
    const temporary = this.temporaryPath(sha256);
    await mkdir(join(this.folder, sha256.slice(0, 2)), { recursive: true, mode: STORED_FOLDER_MODE });
    try {
      await pipeline(await remote.read(key), createWriteStream(temporary, { mode: 0o640 }));
      await rename(temporary, path);
    } finally {
      await rm(temporary, { force: true });
    }
  }

  /** Ends the claims of a finished (committed or failed) upload: one per digest given. */
  release(sha256s: Iterable<string>): Promise<void> {
    return this.claims.release(sha256s);
  }

  /**
   * Removes those of `candidates` that no upload claims and `unreferenced` (asked after the
   * claims were looked at) says no image uses: their files, then `forget` drops their rows, all
   * before any new claim is taken. Resolves with the digests removed.
   */
  removeUnused(
    candidates: string[],
    unreferenced: (sha256s: string[]) => Promise<string[]>,
    forget: (sha256s: string[]) => Promise<void>,
  ): Promise<string[]> {
    return this.claims.whileUnclaimed(candidates, async (unclaimed) => {
      if (unclaimed.length === 0) return [];
      const removable = await unreferenced(unclaimed);
      for (const sha256 of removable) {
        await rm(this.chunkPath(sha256), { force: true });
        await this.shared.remote?.delete(this.keyOf(this.chunkPath(sha256)));
        await this.removePatchesOf(sha256);
      }
      // Before the claims lock ends: an upload that claims one of them next records it anew.
      await forget(removable);
      return removable;
    });
  }

  /** The patch frames that lead to chunk `sha256` (they go with it). */
  private async removePatchesOf(sha256: string): Promise<void> {
    const folder = join(this.folder, sha256.slice(0, 2));
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith(`${sha256}${PATCH_INFIX}`)) continue;
      await rm(join(folder, name), { force: true });
      await this.shared.remote?.delete(this.keyOf(join(folder, name)));
    }
  }

  private temporaryPath(sha256: string): string {
    return join(this.folder, sha256.slice(0, 2), `${TEMPORARY_PREFIX}${randomBytes(6).toString('hex')}`);
  }
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

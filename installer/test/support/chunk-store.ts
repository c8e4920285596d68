import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHUNK_GRID_BYTES, CHUNK_PROBE_BYTES, type ChunkPatch, type ImageChunk } from '@rpi-deploy/contracts';
import { BMAP_BLOCK_SIZE, type BlockMapFile } from '@rpi-deploy/test-kit';

/**
 * An image's chunks as the stand-in server serves them: `<dir>/<sha256>.zst` (and patches
 * `<dir>/<sha256>.from-<base>.zst`), listed in offset order.
 */
export interface ChunkStore {
  dir: string;
  chunks: ImageChunk[];
}

/**
 * Cuts an image the way the contract says the server does (libs/contracts chunks.ts): the block
 * map's mapped ranges, adjacent ones joined, cut on the CHUNK_GRID_BYTES grid; each chunk named by
 * the SHA-256 of its bytes and compressed by the zstd tool into `dir` (a chunk already there is
 * stored once). Level 3 by default: the tests need real frames, not the best ratio.
 */
export function buildChunkStore(imagePath: string, bmap: BlockMapFile, dir: string, level = 3): ChunkStore {
  mkdirSync(dir, { recursive: true });
  const spans: Array<{ start: number; end: number }> = [];
  for (const range of bmap.ranges) {
    const start = range.first * BMAP_BLOCK_SIZE;
    const end = Math.min((range.last + 1) * BMAP_BLOCK_SIZE, bmap.imageSize);
    const last = spans.at(-1);
    if (last?.end === start) last.end = end;
    else spans.push({ start, end });
  }
  const image = openSync(imagePath, 'r');
  const chunks: ImageChunk[] = [];
  try {
    for (const span of spans) {
      for (let offset = span.start; offset < span.end;) {
        const end = Math.min(span.end, (Math.floor(offset / CHUNK_GRID_BYTES) + 1) * CHUNK_GRID_BYTES);
        const data = Buffer.alloc(end - offset);
        readSync(image, data, 0, data.length, offset);
        const sha256 = createHash('sha256').update(data).digest('hex');
        const frame = compressChunk(data, level);
        writeFileSync(join(dir, `${sha256}.zst`), frame);
        // The probe as the server computes it (ImageChunk.probe): the SHA-256 of the first 4 KiB, shortened.
        const probe = createHash('sha256').update(data.subarray(0, CHUNK_PROBE_BYTES)).digest('hex').slice(0, 16);
        chunks.push({ offset, length: data.length, sha256, storedSize: frame.length, probe });
        offset = end;
      }
    }
  } finally {
    closeSync(image);
  }
  return { dir, chunks };
}

export function compressChunk(data: Buffer, level = 3): Buffer {
  return execFileSync('zstd', ['-q', '-c', `-${level}`], { input: data, maxBuffer: 64 << 20 });
}

/**
 * Adds patch frames as the server makes them: each chunk of `next` whose range held a different
 * chunk of the same length in `previous` gets `<sha256>.from-<base>.zst`, compressed by the zstd
 * tool with `--patch-from` the base's bytes, and lists it in its `patches`.
 */
export function addPatches(
  next: { store: ChunkStore; image: string },
  previous: { store: ChunkStore; image: string },
): ChunkPatch[] {
  const before = new Map(previous.store.chunks.map((chunk) => [chunk.offset, chunk]));
  const made: ChunkPatch[] = [];
  const work = mkdtempSync(join(next.store.dir, '.patching-'));
  try {
    for (const chunk of next.store.chunks) {
      const base = before.get(chunk.offset);
      if (!base || base.length !== chunk.length || base.sha256 === chunk.sha256) continue;
      writeFileSync(join(work, 'base'), readRange(previous.image, base.offset, base.length));
      writeFileSync(join(work, 'chunk'), readRange(next.image, chunk.offset, chunk.length));
      const file = join(next.store.dir, `${chunk.sha256}.from-${base.sha256}.zst`);
      execFileSync('zstd', ['-q', '-f', '-3', `--patch-from=${join(work, 'base')}`, join(work, 'chunk'), '-o', file], {
        stdio: 'pipe', // it says "long mode automatically triggered" even with -q
      });
      const patch = { base: base.sha256, storedSize: statSync(file).size, baseProbe: base.probe };
      chunk.patches = [patch];
      made.push(patch);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return made;
}

function readRange(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const data = Buffer.alloc(length);
    readSync(fd, data, 0, length, offset);
    return data;
  } finally {
    closeSync(fd);
  }
}

import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { IMAGE_BLOCK_SIZE } from '@rpi-deploy/contracts';

export const BLOCK = IMAGE_BLOCK_SIZE;

/** Mapped (not all-zero) 4 KiB blocks of an image, computed the plain way the server's map must agree with. */
export function mappedBlocks(bytes: Buffer): number[] {
  const zero = Buffer.alloc(BLOCK);
  const mapped: number[] = [];
  for (let block = 0; block * BLOCK < bytes.length; block += 1) {
    const data = bytes.subarray(block * BLOCK, (block + 1) * BLOCK);
    if (!data.equals(zero.subarray(0, data.length))) mapped.push(block);
  }
  return mapped;
}

/** Every chunk file in a server's chunk store, by digest, sorted. */
export function storedChunks(dataDir: string): string[] {
  return storedFrames(dataDir)
    .filter((name) => /^[0-9a-f]{64}$/.test(name))
    .sort();
}

/** The patch frames in the chunk store, as `<sha256>.from-<base>` (see chunk-store.ts). */
export function storedPatches(dataDir: string): string[] {
  return storedFrames(dataDir)
    .filter((name) => name.includes('.from-'))
    .sort();
}

function storedFrames(dataDir: string): string[] {
  return readdirSync(join(dataDir, 'chunks'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.zst'))
    .map((name) => basename(name, '.zst'));
}

import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { IMAGE_BLOCK_SIZE } from '@rpi-deploy/contracts';
import type { ChunkCutter } from '../chunks/chunk-cutter';
import { readBlockMap } from '../upload/block-map';

/** A stored image whose bytes no longer match its block map: converting it would store bad chunks. */
export class DamagedStoredImage extends Error {}

/**
 * Feeds a stored image's mapped data to `cutter`, range by range along its block map, each range
 * checked against the map's SHA-256 before any of it is cut: so a damaged file gives no chunks
 * of its damaged part. The ranges are those the upload cut (the same mapped runs, clipped to the
 * image size), so the chunks are the ones an upload of the same image would have made.
 */
export async function readStoredImage(
  imagePath: string,
  bmapPath: string,
  cutter: ChunkCutter,
  onProgress: (doneBytes: number) => void,
  signal: AbortSignal,
): Promise<void> {
  const { imageSize, ranges } = readBlockMap(await readFile(bmapPath, 'utf8'));
  const file = await open(imagePath, 'r');
  try {
    const { size } = await file.stat();
    if (size !== imageSize) {
      throw new DamagedStoredImage(`the stored file is ${size} bytes, its block map says ${imageSize}`);
    }
    let done = 0;
    for (const range of ranges) {
      signal.throwIfAborted();
      const offset = range.first * IMAGE_BLOCK_SIZE;
      const length = Math.min((range.last + 1) * IMAGE_BLOCK_SIZE, imageSize) - offset;
      // A range is at most 8 MiB (BlockMapBuilder splits longer ones): read it whole, check, cut.
      const data = Buffer.allocUnsafe(length);
      const { bytesRead } = await file.read(data, 0, length, offset);
      if (bytesRead !== length || createHash('sha256').update(data).digest('hex') !== range.sha256) {
        throw new DamagedStoredImage(
          `blocks ${range.first}-${range.last} do not match the checksum in its block map: ` +
            'the stored file is damaged; upload the image again',
        );
      }
      await cutter.add(offset, data);
      done += length;
      onProgress(done);
    }
  } finally {
    await file.close();
  }
}

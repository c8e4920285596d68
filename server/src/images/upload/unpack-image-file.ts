import { BadRequestException } from '@nestjs/common';
import { open } from 'node:fs/promises';
import { pipeline as connect, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageCompression } from '@rpi-deploy/contracts';
import type { ChunkCutter } from '../chunks/chunk-cutter';
import type { ImageStore } from '../image-store';
import { decompressor, detectCompression, MAGIC_BYTES_NEEDED } from './compression';
import { SparseImageWriter, type ImageDescription } from './sparse-image-writer';
import { noSpace, tooLarge } from './upload-errors';

export interface UnpackedImage {
  uploadPath: string;
  uploadSize: number;
  compression: ImageCompression;
  description: ImageDescription;
}

export interface UnpackLimits {
  maxBytes: number;
  diskReserveBytes: number;
}

/** Byte counts as they grow: of the upload as received, and of the image as unpacked. */
export interface UnpackCounters {
  received(bytes: number): void;
  unpacked(bytes: number): void;
}

/**
 * The file part of the upload, unpacked (compression told from its first bytes) into a new
 * sparse file at `uploadPath`, cut into `chunks` and described on the way. The caller deletes the
 * file (and frees the chunks) on failure.
 */
export async function unpackImageFile(
  file: Readable & { truncated?: boolean },
  uploadPath: string,
  store: ImageStore,
  chunks: ChunkCutter,
  limits: UnpackLimits,
  counters: UnpackCounters,
): Promise<UnpackedImage> {
  let uploadSize = 0;
  let limitHit = false;
  file.on('limit', () => (limitHit = true));
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      uploadSize += chunk.length;
      counters.received(uploadSize);
      callback(null, chunk);
    },
  });
  // Connected with pipeline, not pipe: a part destroyed because the upload failed ends the job
  // below with an error instead of leaving it waiting for data (and the upload file open) for ever.
  connect(file, counted, () => undefined); // a failure surfaces where `counted` is read
  const { head, stream } = await peek(counted, MAGIC_BYTES_NEEDED);
  const compression = detectCompression(head);

  const handle = await open(uploadPath, 'wx', 0o600);
  try {
    const writer = new SparseImageWriter(handle, chunks, async (imageBytes) => {
      counters.unpacked(imageBytes);
      const free = await store.freeBytes();
      if (free < limits.diskReserveBytes) throw noSpace(free, limits.diskReserveBytes);
    });
    await pipeline(stream, decompressor(compression), writer);
    if (limitHit) throw tooLarge(limits.maxBytes);
    if (writer.result.size === 0) throw new BadRequestException('The image is empty');
    return { uploadPath, uploadSize, compression, description: writer.result };
  } finally {
    await handle.close();
  }
}

/** Reads the first `bytes` bytes and hands back a stream that still starts with them. */
async function peek(source: Readable, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]();
  const early: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) break;
    early.push(next.value as Buffer);
    length += (next.value as Buffer).length;
  }
  async function* replay() {
    yield* early;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value as Buffer;
  }
  return { head: Buffer.concat(early).subarray(0, bytes), stream: Readable.from(replay(), { objectMode: false }) };
}

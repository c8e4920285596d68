import { BadRequestException } from '@nestjs/common';
import { open } from 'node:fs/promises';
import { pipeline as connect, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageCompression } from '@rpi-deploy/contracts';
import type { ChunkCutter } from '../chunks/chunk-cutter';
import type { ImageStore } from '../image-store';
import { decompressor, detectCompression, MAGIC_BYTES_NEEDED } from './compression';
import { SparseImageWriter, type ImageDescription } from './sparse-image-writer';
import { imageTooLarge, noSpace, tooLarge } from './upload-errors';

export interface UnpackedImage {
  uploadPath: string;
  uploadSize: number;
  compression: ImageCompression;
  description: ImageDescription;
}

export interface UnpackLimits {
  /** Of the upload as sent (compressed). */
  maxBytes: number;
  /** Of the image once unpacked. */
  maxImageBytes: number;
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
  // busboy cuts the part short at the limit: fail at once, before the cut reads as a damaged stream.
  file.on('limit', () => counted.destroy(tooLarge(limits.maxBytes)));
  const { head, stream } = await peek(counted, MAGIC_BYTES_NEEDED);
  const compression = detectCompression(head);

  const handle = await open(uploadPath, 'wx', 0o600);
  try {
    const writer = new SparseImageWriter(handle, chunks, async (imageBytes) => {
      counters.unpacked(imageBytes);
      const free = await store.freeBytes();
      if (free < limits.diskReserveBytes) throw noSpace(free, limits.diskReserveBytes);
    });
    await pipeline(stream, decompressor(compression), limitedTo(limits.maxImageBytes), writer);
    if (writer.result.size === 0) throw new BadRequestException('The image is empty');
    return { uploadPath, uploadSize, compression, description: writer.result };
  } finally {
    await handle.close();
  }
}

/**
 * Passes the unpacked image through and fails as soon as it grows beyond `maxImageBytes`, before
 * those bytes are stored: a few KiB of compressed zeros can unpack to terabytes.
 */
function limitedTo(maxImageBytes: number): Transform {
  let imageBytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      imageBytes += chunk.length;
      if (imageBytes > maxImageBytes) callback(imageTooLarge(maxImageBytes));
      else callback(null, chunk);
    },
  });
}

/**
 * Reads the first `bytes` bytes and hands back a stream that still starts with them. (Not an
 * async iterator: a generator waiting for the next chunk cannot be stopped, so a failed pipeline
 * would wait for it, and the answer with it, as long as the client sends nothing more.)
 */
async function peek(source: Readable, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const early: Buffer[] = [];
  let length = 0;
  await new Promise<void>((resolve, reject) => {
    const stop = () => {
      source.off('data', take).off('end', stop).off('error', reject);
      source.pause();
      resolve();
    };
    const take = (chunk: Buffer) => {
      early.push(chunk);
      length += chunk.length;
      if (length >= bytes) stop();
    };
    source.on('data', take).once('end', stop).once('error', reject);
  });
  const start = Buffer.concat(early, length);
  const head = start.subarray(0, bytes);
  if (source.readableEnded) return { head, stream: Readable.from([start], { objectMode: false }) };
  source.unshift(start);
  return { head, stream: source };
}

import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/**
 * 1 MiB per read and per write: a 2 GB image is 2,000 syscalls each way, and a download holds
 * two such buffers (one being read into while the other is written).
 */
export const CHUNK_BYTES = 1 << 20;
/** Idle buffers kept for the next download instead of being given back to the allocator. */
const SPARE_BUFFERS = 16;

/**
 * Buffers reused from one chunk and one download to the next. A fresh buffer per chunk (what
 * fs.createReadStream does) costs a page fault per 4 KiB and garbage collection: it measured
 * about twice the CPU per gigabyte of this loop.
 */
export class ChunkBuffers {
  private readonly spare: Buffer[] = [];

  take(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
  }

  give(buffer: Buffer): void {
    if (this.spare.length < SPARE_BUFFERS) this.spare.push(buffer);
  }
}

/**
 * Writes `head` (if any) once the file is open, then bytes start..end (inclusive) of the file, to
 * `target`; resolves with the count of file bytes sent. Nothing is written if the file is gone.
 * The next chunk is read while the previous one is written; a buffer is read into again only
 * once its write callback has fired (the kernel has the bytes), so backpressure is the socket's.
 */
export async function sendFileRange(
  target: Writable,
  path: string,
  start: number,
  end: number,
  buffers: ChunkBuffers,
  head?: string,
): Promise<number> {
  const file = await open(path, 'r');
  if (head) target.write(head);
  const pair = [buffers.take(), buffers.take()];
  const readAt = async (buffer: Buffer, position: number): Promise<Buffer> => {
    const length = Math.min(buffer.length, end - position + 1);
    const { bytesRead } = await file.read(buffer, 0, length, position);
    if (bytesRead === 0) throw new Error(`${path} ended at byte ${position}, before byte ${end + 1}`);
    return bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
  };
  try {
    let position = start;
    let which = 0;
    let chunk = await readAt(pair[which], position);
    for (;;) {
      position += chunk.length;
      const written = writeChunk(target, chunk);
      if (position > end) {
        await written;
        break;
      }
      which ^= 1;
      [, chunk] = await Promise.all([written, readAt(pair[which], position)]);
    }
  } finally {
    await file.close();
  }
  // Only after success: after a failure a write may still refer to them.
  pair.forEach((buffer) => buffers.give(buffer));
  return end - start + 1;
}

function writeChunk(target: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    target.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { ImageCompression } from '@rpi-deploy/contracts';
import { decode } from './decode';
import { InstallError } from '../install-error';

/** Compressible but not trivial: random runs between zeros, like a disk image. */
const original = Buffer.concat(
  Array.from({ length: 64 }, () => Buffer.concat([randomBytes(8192), Buffer.alloc(24576)])),
);

const compressed: Record<Exclude<ImageCompression, 'none'>, Buffer> = {
  gzip: gzipSync(original),
  xz: execFileSync('xz', ['-1', '-c'], { input: original, maxBuffer: 1 << 26 }),
  zstd: execFileSync('zstd', ['-3', '-c', '-q'], { input: original, maxBuffer: 1 << 26 }),
};

async function* inPieces(data: Buffer, size = 7000): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

async function decodeAll(input: AsyncIterable<Buffer>, compression: ImageCompression): Promise<Buffer> {
  const decoder = decode(input, compression);
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of decoder.output) chunks.push(chunk);
    await decoder.finished();
  } finally {
    decoder.abort();
  }
  return Buffer.concat(chunks);
}

function damaged(data: Buffer): Buffer {
  const copy = Buffer.from(data);
  copy[Math.floor(copy.length / 2)] ^= 0xff;
  return copy;
}

describe('decode', () => {
  it.each(['gzip', 'xz', 'zstd'] as const)('decodes %s fed in small pieces', async (compression) => {
    expect((await decodeAll(inPieces(compressed[compression]), compression)).equals(original)).toBe(true);
  });

  it('passes a raw image through untouched', async () => {
    expect((await decodeAll(inPieces(original), 'none')).equals(original)).toBe(true);
  });

  it.each(['gzip', 'xz', 'zstd'] as const)('calls a damaged %s stream a damaged stored image', async (compression) => {
    await expect(decodeAll(inPieces(damaged(compressed[compression])), compression)).rejects.toThrow(
      new RegExp(`^the image does not decompress \\((gzip|${compression}): .+\\): the stored image is damaged$`),
    );
  });

  it.each(['gzip', 'xz', 'zstd'] as const)(
    'reports the download failure, not the cut %s stream it leaves behind',
    async (compression) => {
      async function* failingDownload(): AsyncGenerator<Buffer> {
        yield compressed[compression].subarray(0, 5000);
        throw new InstallError('download failed: the server went away');
      }
      await expect(decodeAll(failingDownload(), compression)).rejects.toThrow(
        new InstallError('download failed: the server went away'),
      );
    },
  );
});

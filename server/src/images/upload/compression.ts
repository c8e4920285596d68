import { spawn } from 'node:child_process';
import { Duplex, PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ImageCompression } from '@rpi-deploy/contracts';

const MAGIC: Array<[ImageCompression, number[]]> = [
  ['gzip', [0x1f, 0x8b]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

/** Formats people ship images in that we do not unpack; named so the error can say so. */
const UNSUPPORTED: Array<[string, number[]]> = [
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['zip', [0x50, 0x4b, 0x03, 0x04]],
  ['7z', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]],
];

export const MAGIC_BYTES_NEEDED = 6;

const startsWith = (head: Buffer, magic: number[]) => magic.every((byte, index) => head[index] === byte);

/** Compression from the first bytes of the file; the name a user gave it is never trusted. */
export function detectCompression(head: Buffer): ImageCompression {
  for (const [compression, magic] of MAGIC) if (startsWith(head, magic)) return compression;
  for (const [format, magic] of UNSUPPORTED) {
    if (startsWith(head, magic)) {
      throw new UnsupportedCompression(`${format} archives are not supported: upload a raw .img, or .img.gz/.xz/.zst`);
    }
  }
  return 'none';
}

export class UnsupportedCompression extends Error {}

/**
 * The most memory one decoder may take. A stream declares the dictionary (xz) or window (zstd)
 * its decoder must hold, up to 1.5 GiB for xz and more for zstd, whatever its size: a tiny
 * upload could otherwise take gigabytes. `xz -9` needs 65 MiB and `zstd --ultra -22` 129 MiB,
 * so every usual preset fits. (gzip's window is fixed at 32 KiB.)
 */
export const DECODER_MEMORY_LIMIT_BYTES = 256 * 2 ** 20;
const MEMORY_LIMIT = `${DECODER_MEMORY_LIMIT_BYTES / 2 ** 20}MiB`;

/** What xz and zstd say when a stream needs more memory than allowed. */
const MEMORY_LIMIT_REACHED = /Memory usage limit reached|requires too much memory|Window size larger than maximum/i;

/**
 * A stream that turns the uploaded bytes into the raw image. gzip runs in-process; xz and
 * zstd run as the `xz`/`zstd` programs (fast, multi-threaded, no native addon to build), each
 * held to DECODER_MEMORY_LIMIT_BYTES.
 */
export function decompressor(compression: ImageCompression): Duplex {
  switch (compression) {
    case 'none':
      return new PassThrough({ highWaterMark: 4 << 20 });
    case 'gzip':
      return createGunzip({ chunkSize: 1 << 20 });
    case 'xz':
      // The limit binds the multi-threaded decoder too (xz 5.4: its own limit is at most this one).
      return programStream('xz', ['--decompress', '--stdout', '--threads=0', `--memlimit-decompress=${MEMORY_LIMIT}`]);
    case 'zstd':
      return programStream('zstd', ['--decompress', '--stdout', '-q', `--memory=${MEMORY_LIMIT}`]);
  }
}

/**
 * stdin -> program -> stdout as one Duplex. The output ends only once the program has exited
 * successfully, so a truncated or corrupt input can never pass for a complete image.
 */
function programStream(command: string, args: string[]): Duplex {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const output = new PassThrough({ highWaterMark: 4 << 20 });
  child.stdout.pipe(output, { end: false });
  child.on('error', (error) =>
    output.destroy(
      new Error(`cannot run ${command} (${error.message}): install it (bash infra/install-system-deps.sh)`),
    ),
  );
  child.on('close', (code, signal) => {
    if (code === 0) output.end();
    else if (MEMORY_LIMIT_REACHED.test(stderr)) output.destroy(new DecoderMemoryLimit(command));
    else
      output.destroy(
        new CorruptImage(`${command} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || 'corrupt data'}`),
      );
  });
  // The program's stdin sits behind `input`: EPIPE on stdin means the program stopped reading (a
  // damaged stream, a limit), and must not fail the stream before the exit status says why. The
  // rest of the upload is then dropped until the program's exit ends the stream.
  const input = new PassThrough({ highWaterMark: 1 << 20 });
  input.pipe(child.stdin);
  child.stdin.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') return output.destroy(error);
    input.unpipe(child.stdin);
    input.resume();
  });
  const duplex = Duplex.from({ readable: output, writable: input });
  duplex.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return duplex;
}

/** The compressed data could not be unpacked. */
export class CorruptImage extends Error {}

/** The compressed data would need more than DECODER_MEMORY_LIMIT_BYTES to unpack. */
export class DecoderMemoryLimit extends Error {
  constructor(readonly command: string) {
    super(`the ${command} stream needs more memory to unpack than allowed`);
  }
}

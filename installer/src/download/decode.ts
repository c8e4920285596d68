import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { ImageCompression } from '@rpi-deploy/contracts';
import { InstallError } from '../install-error';

export interface Decoder {
  output: AsyncIterable<Buffer>;
  /** Resolves once the whole input was decoded cleanly; rejects with the first real cause otherwise. */
  finished(): Promise<void>;
  /** Stops decoding early (the consumer failed); safe to call at any time. */
  abort(): void;
}

/** Programs for the formats Node has no decoder for, with the Debian package that provides them. */
export const DECODER_PROGRAMS: Partial<
  Record<ImageCompression, { program: string; args: string[]; debianPackage: string }>
> = {
  xz: { program: 'xz', args: ['--decompress', '--stdout', '--threads=1'], debianPackage: 'xz-utils' },
  zstd: { program: 'zstd', args: ['--decompress', '--stdout', '--quiet'], debianPackage: 'zstd' },
};

/**
 * Turns the downloaded bytes into image bytes. gzip runs in Node (zlib); xz and zstd run as child
 * processes fed through a pipe. Backpressure holds end to end: the decoder reads only as fast as
 * the image bytes are consumed, and the download only as fast as the decoder reads. A resumed
 * download keeps feeding the same decoder, which never sees the interruption.
 */
export function decode(input: AsyncIterable<Buffer>, compression: ImageCompression): Decoder {
  if (compression === 'none') return { output: input, finished: async () => undefined, abort: () => undefined };
  let inputError: Error | undefined;
  // Remembers a failure of the input itself (not errors thrown into it when the decoder dies).
  const watched = async function* (): AsyncGenerator<Buffer> {
    const iterator = input[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await iterator.next().catch((error: Error) => {
          inputError = error;
          throw error;
        });
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await iterator.return?.();
    }
  };
  const source = Readable.from(watched(), { objectMode: false });
  if (compression === 'gzip') {
    const gunzip = createGunzip();
    const done = pipeline(source, gunzip);
    done.catch(() => undefined); // surfaced by the consumer's iteration or by finished()
    return {
      output: (async function* () {
        try {
          yield* gunzip;
        } catch (error) {
          throw decodeError('gzip', error as Error);
        }
      })(),
      finished: () => done.catch((error: Error) => Promise.reject(decodeError('gzip', error))),
      abort: () => {
        source.destroy();
        gunzip.destroy();
      },
    };
  }
  return decodeWithProgram(source, compression, () => inputError);
}

/** `inputError`: the download's own failure, which explains whatever the decoder then complains about. */
function decodeWithProgram(
  source: Readable,
  compression: ImageCompression,
  inputError: () => Error | undefined,
): Decoder {
  const { program, args, debianPackage } = DECODER_PROGRAMS[compression] ?? {};
  if (!program || !args) throw new InstallError(`unknown image compression "${compression}"`);
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
  const fed = pipeline(source, child.stdin);
  fed.catch(() => undefined); // surfaced by finished()
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        new InstallError(
          error.code === 'ENOENT'
            ? `${program} is not installed (Debian package ${debianPackage}); the image is ${compression}-compressed`
            : `${program} could not start: ${error.message}`,
        ),
      ),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          decodeError(program, new Error(stderr.trim() || (signal ? `killed by ${signal}` : `exit code ${code}`))),
        );
    });
  });
  exited.catch(() => undefined); // surfaced by finished()
  return {
    output: child.stdout,
    finished: async () => {
      const [feeding, exit] = await Promise.allSettled([fed, exited]);
      const cause = inputError();
      if (cause) throw cause;
      if (exit.status === 'rejected') throw exit.reason;
      // The decoder exited cleanly but did not take all input (EPIPE): trailing garbage after the stream.
      if (feeding.status === 'rejected') throw decodeError(program, feeding.reason as Error);
    },
    abort: () => {
      source.destroy();
      child.kill();
    },
  };
}

function decodeError(decoder: string, error: Error): Error {
  if (error instanceof InstallError) return error;
  return new InstallError(
    `the image does not decompress (${decoder}: ${error.message}): the stored image is damaged`,
    'image_corrupt',
  );
}

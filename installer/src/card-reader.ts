import { open, type FileHandle } from 'node:fs/promises';
import { InstallError } from './install-error';

/** A stretch of the card, in bytes (end exclusive). */
export interface Span {
  start: number;
  end: number;
}

/** Reads in flight ahead of the one being checked: the card keeps reading while the CPU hashes. */
const READ_AHEAD = 4;

/**
 * The card's bytes for each span, in order. Several reads are in flight at once (each into its own
 * buffer), so reading from the card and hashing what was read overlap instead of taking turns.
 * A yielded buffer is valid until the next one is asked for.
 */
export async function* readSpans(path: string, spans: Span[]): AsyncGenerator<{ span: Span; data: Buffer }> {
  if (spans.length === 0) return;
  const card = await open(path, 'r');
  const largest = Math.max(...spans.map((span) => span.end - span.start));
  const buffers = Array.from({ length: READ_AHEAD + 1 }, () => Buffer.allocUnsafe(largest));
  const inFlight: Array<Promise<Buffer>> = [];
  const readInto = async (span: Span, buffer: Buffer): Promise<Buffer> => {
    const into = buffer.subarray(0, span.end - span.start);
    await readFully(card, into, span.start, path);
    return into;
  };
  const start = (index: number) => {
    const read = readInto(spans[index], buffers[index % buffers.length]);
    read.catch(() => undefined); // awaited in order below
    inFlight.push(read);
  };
  try {
    for (let index = 0; index < Math.min(READ_AHEAD, spans.length); index += 1) start(index);
    for (let index = 0; index < spans.length; index += 1) {
      if (index + READ_AHEAD < spans.length) start(index + READ_AHEAD);
      const data = await (inFlight.shift() as Promise<Buffer>);
      yield { span: spans[index], data };
    }
  } finally {
    await Promise.allSettled(inFlight);
    await card.close();
  }
}

/** Fills `into` from byte `position` of the card; a card that ends first fails the install. */
export async function readFully(card: FileHandle, into: Buffer, position: number, path: string): Promise<void> {
  for (let done = 0; done < into.length;) {
    const { bytesRead } = await card.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new InstallError(`${path} ends at byte ${position + done}, inside the image`);
    done += bytesRead;
  }
}

import { open, type FileHandle } from 'node:fs/promises';
import { AlignedMemory, DIRECT_ALIGNMENT, isDirectAligned } from './aligned-memory';
import { InstallError } from '../install-error';
import { openForDirectReading } from './target-device';
import { MiB } from '../units';

/** A stretch of the card, in bytes (end exclusive). */
export interface Span {
  start: number;
  end: number;
}

/** Reads in flight ahead of the one being checked: the card keeps reading while the CPU hashes. */
const READ_AHEAD = 4;
/** Spans are read in windows of up to this much: few, large requests. */
const WINDOW_BYTES = 4 * MiB;
/** Spans closer than this share a window (the gap is read and dropped). */
const MAX_WINDOW_GAP = MiB;

interface Window {
  start: number;
  end: number;
  spans: Span[];
}

/**
 * The card's bytes for each span, in order. Spans are read in aligned windows of up to 4 MiB,
 * several in flight at once, so reading from the card and hashing what was read overlap instead
 * of taking turns. With `direct`, reads bypass the page cache (O_DIRECT): what comes back is what
 * the card holds, not what the kernel remembers writing; where the card or its file system
 * refuses O_DIRECT, reads are buffered and the caller must have dropped the cache.
 * A yielded buffer (a view of shared memory) is valid until the next one is asked for, or, when
 * promises were handed to its `hold`, until they have settled: a consumer that hashes it on another
 * thread need not wait for that before asking for the next. `maxGap` (default 1 MiB) is the largest
 * gap read and dropped to join two spans into one window: 0 reads each span on its own (probes).
 * `ready`, when given, is awaited with a window's end before that window is read: a reader that
 * trails a writer reads only what has been written and synced.
 */
export async function* readSpans(
  path: string,
  spans: Span[],
  options: { direct?: boolean; maxGap?: number; ready?: (end: number) => Promise<void> } = {},
): AsyncGenerator<{ span: Span; data: Buffer; hold: (until: Promise<unknown>) => void }> {
  if (spans.length === 0) return;
  const card = await open(path, 'r');
  const direct = options.direct ? await openForDirectReading(path) : undefined;
  const windows = readWindows(spans, options.maxGap ?? MAX_WINDOW_GAP);
  const largest = Math.max(...windows.map((window) => window.end - window.start));
  const memory = new AlignedMemory(READ_AHEAD + 1, alignUp(largest), { shared: true });
  const inFlight: Array<Promise<Buffer>> = [];
  /** Per buffer: what its current contents are still held for. */
  const holds: Array<Array<Promise<unknown>>> = memory.buffers.map(() => []);
  const readWindow = async ({ start, end }: Window, buffer: Buffer): Promise<Buffer> => {
    const alignedEnd = alignUp(end);
    if (direct && isDirectAligned(start, alignedEnd - start)) {
      // The aligned end may lie past the card's end: a short read there is fine if `end` is covered.
      const done = await readUpTo(direct, buffer.subarray(0, alignedEnd - start), start).catch(refusedDirect);
      if (done >= end - start) return buffer;
    }
    await readFully(card, buffer.subarray(0, end - start), start, path);
    return buffer;
  };
  const startRead = (index: number) => {
    const slot = index % memory.buffers.length;
    const held = holds[slot];
    holds[slot] = [];
    const read = Promise.all([...held, options.ready?.(windows[index].end)]).then(() =>
      readWindow(windows[index], memory.buffers[slot]),
    );
    read.catch(() => undefined); // awaited in order below
    inFlight.push(read);
  };
  try {
    for (let index = 0; index < Math.min(READ_AHEAD, windows.length); index += 1) startRead(index);
    for (let index = 0; index < windows.length; index += 1) {
      if (index + READ_AHEAD < windows.length) startRead(index + READ_AHEAD);
      const buffer = await (inFlight.shift() as Promise<Buffer>);
      const window = windows[index];
      const hold = (until: Promise<unknown>) => holds[index % memory.buffers.length].push(until);
      for (const span of window.spans) {
        yield { span, data: buffer.subarray(span.start - window.start, span.end - window.start), hold };
      }
    }
  } finally {
    await Promise.allSettled([...inFlight, ...holds.flat()]);
    await Promise.allSettled([card.close(), direct?.close()]);
  }
}

/** Fills `into` from byte `position` of the card; a card that ends first fails the install. */
export async function readFully(card: FileHandle, into: Buffer, position: number, path: string): Promise<void> {
  const done = await readUpTo(card, into, position);
  if (done < into.length) throw new InstallError(`${path} ends at byte ${position + done}, inside the image`);
}

/** Reads into `into` until it is full or the card ends; returns the bytes read. */
async function readUpTo(card: FileHandle, into: Buffer, position: number): Promise<number> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await card.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** An O_DIRECT transfer the kernel refused (EINVAL: alignment it does not take) is retried buffered; other errors stand. */
function refusedDirect(error: NodeJS.ErrnoException): number {
  if (error.code === 'EINVAL') return -1;
  throw error;
}

/** Spans grouped into aligned windows of at most WINDOW_BYTES (a larger span gets a window of its own). */
function readWindows(spans: Span[], maxGap: number): Window[] {
  const windows: Window[] = [];
  for (const span of spans) {
    const last = windows.at(-1);
    if (last && span.start >= last.end && span.start - last.end <= maxGap && span.end - last.start <= WINDOW_BYTES) {
      last.end = span.end;
      last.spans.push(span);
    } else {
      windows.push({ start: alignDown(span.start), end: span.end, spans: [span] });
    }
  }
  return windows;
}

function alignDown(offset: number): number {
  return offset - (offset % DIRECT_ALIGNMENT);
}

function alignUp(offset: number): number {
  return alignDown(offset + DIRECT_ALIGNMENT - 1);
}

/** A copy of the card's bytes [offset, offset + length), read past the page cache like readSpans. */
export async function readCardRange(path: string, offset: number, length: number): Promise<Buffer> {
  for await (const { data } of readSpans(path, [{ start: offset, end: offset + length }], { direct: true })) {
    return Buffer.from(data);
  }
  throw new Error(`reading ${length} bytes at ${offset} of ${path} returned nothing`);
}

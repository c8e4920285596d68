import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { readSpans, type Span } from './card-reader';
import { InstallError } from '../install-error';
import { runProgram } from '../run-program';
import { queueLimits, type TargetDevice } from './target-device';
import { MiB } from '../units';

/**
 * How the card comes to read zeros where the image has unmapped blocks (the server maps the
 * non-zero blocks, so unmapped blocks are zeros that matter: free FAT entries, the end of a
 * directory, unused inode tables), without the installer writing them:
 * - `holes`: a regular file, emptied and re-extended, reads zeros everywhere it was not written;
 * - `zeroed`: a device that zeroes ranges itself (write-zeroes offload: eMMC TRIM, NVMe, SCSI,
 *   loop) was zeroed over the whole image in one command before writing;
 * - `check`: every other device was discarded over the image (where it takes discards) and its
 *   unmapped blocks are read back after writing; any that do not read as zeros (a discard may
 *   leave old data, or read as 0xff) are zeroed then and checked again.
 */
export type ZeroingPlan = 'holes' | 'zeroed' | 'check';

const ZERO_CHECK_PIECE = 4 * MiB;

/**
 * Before writing, with the first MiB already zeroed: sets up the unmapped blocks of
 * [from, imageSize) as the plan above says. Discard and offloaded zeroing cost the card a single
 * command and no data transfer; where a device refuses them the `check` pass covers it.
 */
export async function prepareUnmapped(
  target: TargetDevice,
  from: number,
  imageSize: number,
  log: (line: string) => void,
): Promise<ZeroingPlan> {
  if (target.kind === 'file') return 'holes';
  const span = ['--force', '--offset', String(from), '--length', String(imageSize - from), target.path];
  const limits = await queueLimits(target).catch(() => ({ writeZeroesBytes: 0, discardBytes: 0 }));
  if (limits.writeZeroesBytes > 0) {
    try {
      await runProgram('blkdiscard', ['--zeroout', ...span]);
      return 'zeroed';
    } catch (error) {
      log(`zeroing the card ahead of writing failed (${(error as Error).message}); checking unmapped blocks instead`);
    }
  }
  if (limits.discardBytes > 0) {
    await runProgram('blkdiscard', span).catch((error: Error) =>
      log(`discarding the card ahead of writing failed (${error.message}); checking unmapped blocks instead`),
    );
  }
  return 'check';
}

/**
 * After writing and syncing, with the card's cache dropped: reads every span and zeroes each
 * 4 MiB piece that is not all zeros (BLKZEROOUT through `blkdiscard --zeroout`, else plain
 * writes of zeros), syncs, drops the cache again and checks those pieces once more.
 * Returns the bytes that had to be zeroed.
 */
export async function ensureZeros(
  target: TargetDevice,
  spans: Span[],
  options: {
    /** Read with O_DIRECT (see readSpans); the cache is dropped all the same before the second check. */
    direct: boolean;
    dropCache: () => Promise<void>;
    onBytes: (count: number) => void;
    log: (line: string) => void;
  },
): Promise<number> {
  const dirty = await nonZeroPieces(target, spans, options.direct, options.onBytes);
  if (dirty.length === 0) return 0;
  const bytes = dirty.reduce((sum, piece) => sum + piece.end - piece.start, 0);
  options.log(`${(bytes / MiB).toFixed(0)} MiB of unmapped blocks did not read as zeros; zeroing them`);
  const card = await open(target.path, 'r+');
  try {
    for (const piece of dirty) await zeroPiece(target, card, piece);
    await card.datasync();
  } finally {
    await card.close();
  }
  await options.dropCache();
  const still = await nonZeroPieces(target, dirty, options.direct, () => undefined);
  if (still.length > 0) {
    throw new InstallError(
      `the card does not keep zeros: bytes ${still[0].start}-${still[0].end - 1} still hold data after zeroing; the card is faulty`,
      'card_faulty',
    );
  }
  return bytes;
}

/** The 4 MiB pieces of `spans` that hold anything but zeros. */
async function nonZeroPieces(
  target: TargetDevice,
  spans: Span[],
  direct: boolean,
  onBytes: (count: number) => void,
): Promise<Span[]> {
  const pieces = spans.flatMap((span) => {
    const cut: Span[] = [];
    for (let start = span.start; start < span.end; start += ZERO_CHECK_PIECE)
      cut.push({ start, end: Math.min(span.end, start + ZERO_CHECK_PIECE) });
    return cut;
  });
  const zeros = Buffer.alloc(ZERO_CHECK_PIECE);
  const dirty: Span[] = [];
  for await (const { span, data } of readSpans(target.path, pieces, { direct })) {
    onBytes(data.length);
    if (!data.equals(zeros.subarray(0, data.length))) dirty.push(span);
  }
  return dirty;
}

async function zeroPiece(target: TargetDevice, card: FileHandle, piece: Span): Promise<void> {
  const length = piece.end - piece.start;
  const args = ['--force', '--zeroout', '--offset', String(piece.start), '--length', String(length), target.path];
  if (
    target.kind === 'block-device' &&
    (await runProgram('blkdiscard', args).then(
      () => true,
      () => false,
    ))
  )
    return;
  const zeros = Buffer.alloc(length);
  for (let done = 0; done < length;) {
    done += (await card.write(zeros, done, length - done, piece.start + done)).bytesWritten;
  }
}

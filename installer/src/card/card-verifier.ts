import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { readFully, readSpans } from './card-reader';
import type { WrittenImage } from './card-writer';
import type { HashWorker } from './hash-worker';
import type { ImageMap, MapRange } from '../download/image-map';
import { InstallError } from '../install-error';
import { corruptImageError } from '../download/source-checker';
import type { TargetDevice } from './target-device';

/**
 * Reads every mapped range back from the card (the caller has synced and dropped the page cache)
 * and compares each range with the block map's SHA-256: a mismatch names the range (at most
 * 8 MiB from our server) and its offsets. Where a range has no checksum of its own (no block
 * map: the whole image), each MiB is also compared with the SHA-256 of what was written there,
 * which says where a bad byte is. Reading runs ahead (readSpans) and range hashing runs on the
 * HashWorker's threads straight from the reader's buffers, so the card, the hashing and this loop
 * work at the same time.
 * The first MiB is still held back at this point; it is compared byte for byte once it has been
 * written (see verifyHead). A range that does not match is fetched again with `servedSha256`
 * (where the image source can): if the server's bytes do not match either, the stored image is
 * damaged, not the card.
 * With `ready`, verification trails the writing: each range is read (or taken from the held-back
 * head) only once `ready` with its end has resolved, that is once the writer has written and synced
 * everything up to there, so it runs while later chunks are still downloading.
 */
export async function verifyCard(
  target: TargetDevice,
  map: ImageMap,
  written: Pick<WrittenImage, 'head' | 'units' | 'unitDigests' | 'direct'>,
  hasher: HashWorker,
  onBytes: (count: number) => void,
  servedSha256?: (range: MapRange) => Promise<string>,
  ready?: (end: number) => Promise<void>,
): Promise<void> {
  const onCard = written.units.filter((unit) => unit.end > written.head.length);
  const cardBytes = readSpans(target.path, onCard, { direct: written.direct, ready })[Symbol.asyncIterator]();
  const rangeChecks: Array<Promise<void>> = [];
  let failure: Error | undefined;
  let rangeHash = 0;
  try {
    for (const [index, unit] of written.units.entries()) {
      if (failure) throw failure;
      const range = map.ranges[unit.rangeIndex];
      let bytes: Buffer;
      let hold: ((until: Promise<unknown>) => void) | undefined;
      if (unit.end <= written.head.length) {
        await ready?.(unit.end);
        bytes = written.head.subarray(unit.start, unit.end);
      } else {
        const next = await cardBytes.next();
        if (next.done) throw new Error('the card reader ended early');
        ({ data: bytes, hold } = next.value);
        onBytes(bytes.length);
      }
      const digest = written.unitDigests[index];
      if (digest && !createHash('sha256').update(bytes).digest().equals(digest)) {
        throw new InstallError(
          `checksum mismatch at offset ${unit.start}: the card's bytes ${unit.start}-${unit.end - 1} ` +
            `(${range.label}) differ from what was written; the card is faulty`,
          'card_faulty',
        );
      }
      if (!range.sha256) continue;
      if (unit.start === range.start) rangeHash = hasher.newHash();
      // The card's bytes are hashed where the reader put them; the held-back head is copied.
      if (hold) hold(hasher.updateShared(rangeHash, bytes));
      else await hasher.update(rangeHash, bytes);
      if (unit.end !== range.end) continue;
      const check = hasher.digest(rangeHash).then(async (actual) => {
        if (actual === range.sha256) return;
        throw await mismatchError(range, actual, servedSha256);
      });
      check.catch((error: Error) => (failure ??= error));
      rangeChecks.push(check);
    }
    for (const check of rangeChecks) await check; // the first bad range in card order
  } finally {
    await cardBytes.return?.(undefined);
  }
}

/**
 * Says what is damaged, as far as can be told. Without `servedSha256` the range was checked against
 * the map on the way in, so the card changed it. With it, the range is fetched again: bytes that do
 * not match the map either mean a damaged stored image; bytes that do leave the card, or the way
 * to it (network, this unit's memory), and the operator is told both.
 */
async function mismatchError(
  range: MapRange,
  actual: string,
  servedSha256?: (range: MapRange) => Promise<string>,
): Promise<InstallError> {
  const mismatch =
    `checksum mismatch at offset ${range.start}: the card's bytes ${range.start}-${range.end - 1} ` +
    `(${range.label}) have SHA-256 ${actual}, the image ${range.sha256}`;
  if (!servedSha256) return new InstallError(`${mismatch}; the card is faulty`, 'card_faulty');
  let served: string;
  try {
    served = await servedSha256(range);
  } catch (error) {
    return new InstallError(
      `${mismatch}; the card is faulty or the bytes were damaged on the way to it ` +
        `(fetching the range again to tell, and to rule out a damaged image, failed: ${(error as Error).message})`,
    );
  }
  if (served !== range.sha256) return corruptImageError(range, served);
  return new InstallError(
    `${mismatch}; the server sends these bytes intact, so the card is faulty or they were damaged on the way ` +
      "to it (network, this unit's memory): install again, and replace the card if it fails again",
    'card_faulty',
  );
}

/** After the partition table was written last: the card's first MiB must equal the image's, byte for byte. */
export async function verifyHead(target: TargetDevice, head: Buffer): Promise<void> {
  const card = await open(target.path, 'r');
  try {
    const onCard = Buffer.alloc(head.length);
    await readFully(card, onCard, 0, target.path);
    if (!onCard.equals(head)) {
      const differs = head.findIndex((byte, offset) => onCard[offset] !== byte);
      throw new InstallError(
        `checksum mismatch at offset ${differs}: the partition table region on the card differs from the image`,
        'card_faulty',
      );
    }
  } finally {
    await card.close();
  }
}

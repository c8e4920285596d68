import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { WrittenImage } from './card-writer';
import type { ImageMap } from './image-map';
import { InstallError } from './install-error';
import type { TargetDevice } from './target-device';
import { MiB } from './units';

/**
 * Reads every mapped range back from the card (the caller has synced and dropped the page cache)
 * and compares it twice: each MiB-sized unit with the SHA-256 of what was written there, which
 * says where a bad byte is, and each range with the block map's SHA-256 (with no map: the whole
 * image with the image's SHA-256). The first MiB is still held back at this point; it is compared
 * byte for byte once it has been written (see verifyHead).
 */
export async function verifyCard(
  target: TargetDevice,
  map: ImageMap,
  written: WrittenImage,
  onBytes: (count: number) => void,
): Promise<void> {
  const card = await open(target.path, 'r');
  const buffer = Buffer.alloc(MiB);
  let rangeHash: Hash | undefined;
  try {
    for (const [index, unit] of written.units.entries()) {
      const range = map.ranges[unit.rangeIndex];
      const length = unit.end - unit.start;
      let bytes: Buffer;
      if (unit.end <= written.head.length) {
        bytes = written.head.subarray(unit.start, unit.end);
      } else {
        bytes = buffer.subarray(0, length);
        await readFully(card, bytes, unit.start, target.path);
        onBytes(length);
      }
      if (!createHash('sha256').update(bytes).digest().equals(written.unitDigests[index])) {
        throw new InstallError(
          `checksum mismatch at offset ${unit.start}: the card's bytes ${unit.start}-${unit.end - 1} ` +
            `(${range.label}) differ from what was written; the card is faulty`,
        );
      }
      if (unit.start === range.start) rangeHash = createHash('sha256');
      rangeHash?.update(bytes);
      if (unit.end === range.end && range.sha256) {
        const actual = rangeHash?.digest('hex');
        if (actual !== range.sha256) {
          throw new InstallError(
            `checksum mismatch in ${range.label} (bytes ${range.start}-${range.end - 1}): ` +
              `the card has SHA-256 ${actual}, the image ${range.sha256}`,
          );
        }
      }
    }
  } finally {
    await card.close();
  }
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
      );
    }
  } finally {
    await card.close();
  }
}

async function readFully(
  card: Awaited<ReturnType<typeof open>>,
  into: Buffer,
  position: number,
  path: string,
): Promise<void> {
  for (let done = 0; done < into.length;) {
    const { bytesRead } = await card.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new InstallError(`${path} ends at byte ${position + done}, inside the image`);
    done += bytesRead;
  }
}

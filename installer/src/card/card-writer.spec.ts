import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { makeWorkDir } from '../../test/support/work-dir';
import { verifyCard, verifyHead } from './card-verifier';
import { CardWriter, HEAD_BYTES, type WrittenImage } from './card-writer';
import { HashWorker } from './hash-worker';
import { ensureZeros } from './unmapped-zeros';
import { wholeImageMap, type ImageMap } from '../download/image-map';
import * as targetDevice from './target-device';
import type { TargetDevice } from './target-device';

const MiB = 1024 * 1024;
const work = makeWorkDir('card-writer');
const hasher = new HashWorker();
afterAll(async () => {
  work.remove();
  await hasher.close();
});

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** An image of `size` bytes, random within `spans` and zeros elsewhere, with a block map of those spans. */
function mappedImage(size: number, spans: Array<[number, number]>): { image: Buffer; map: ImageMap } {
  const image = Buffer.alloc(size);
  for (const [start, end] of spans) randomBytes(end - start).copy(image, start);
  return {
    image,
    map: {
      imageSize: size,
      fromBlockMap: true,
      ranges: spans.map(([start, end], index) => ({
        start,
        end,
        sha256: sha(image.subarray(start, end)),
        label: `range ${index + 1}`,
      })),
    },
  };
}

/**
 * A 20 MiB image (plus a 4 KiB tail): a partition table block, data around 5 MiB, data that
 * crosses the 12 MiB block boundary, and whole 4 MiB blocks of zeros at 16-20 MiB; its block map.
 */
function sampleImage(): { image: Buffer; map: ImageMap } {
  return mappedImage(20 * MiB + 4096, [
    [0, 4096],
    [5 * MiB, 5 * MiB + 102400],
    [10 * MiB, 13 * MiB],
  ]);
}

/** A file standing for a card that held something else: every byte not written must be overwritten or zeroed. */
function usedCard(name: string, size: number): string {
  const path = join(work.path, name);
  writeFileSync(path, Buffer.alloc(size, 0xee));
  return path;
}

async function writeImage(
  target: TargetDevice,
  image: Buffer,
  map: ImageMap,
  pieceSize: number,
  options: { directIo?: boolean; log?: (line: string) => void } = {},
): Promise<{ writer: CardWriter; written: WrittenImage }> {
  const writer = await CardWriter.open(target, map, options.log ?? (() => undefined), options);
  for (let offset = 0; offset < image.length; offset += pieceSize) {
    await writer.write(offset, image.subarray(offset, Math.min(image.length, offset + pieceSize)));
  }
  return { writer, written: await writer.finish() };
}

function flipByte(path: string, offset: number): void {
  const fd = openSync(path, 'r+');
  const byte = Buffer.alloc(1);
  try {
    byte[0] = readFileSync(path)[offset] ^ 0x01;
    writeSync(fd, byte, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

describe('CardWriter and the card verifier', () => {
  it('writes the image with the partition table last, and the card then equals the image byte for byte', async () => {
    const { image, map } = sampleImage();
    const target: TargetDevice = { path: usedCard('whole.card', 24 * MiB), kind: 'file', sizeBytes: 24 * MiB };
    const { writer, written } = await writeImage(target, image, map, 300_000);
    try {
      const beforeHead = readFileSync(target.path);
      expect(beforeHead.subarray(0, HEAD_BYTES).equals(Buffer.alloc(HEAD_BYTES))).toBe(true);
      expect(beforeHead.subarray(HEAD_BYTES, image.length).equals(image.subarray(HEAD_BYTES))).toBe(true);
      expect(written.head.equals(image.subarray(0, HEAD_BYTES))).toBe(true);

      await verifyCard(target, map, written, hasher, () => undefined);
      await writer.writeHead();
      await verifyHead(target, written.head);
      expect(readFileSync(target.path).subarray(0, image.length).equals(image)).toBe(true);
    } finally {
      await writer.close();
    }
    // The 4 MiB blocks with mapped data (0-16 MiB) were written; the rest of the 24 MiB card file was not.
    expect(statSync(target.path).blocks * 512).toBeLessThanOrEqual(16 * MiB);
  });

  it('leaves unmapped blocks unwritten, and on a device zeroes those that do not read as zeros afterwards', async () => {
    const { image, map } = sampleImage();
    // Told it is a block device, the writer cannot discard a regular file (and has no queue limits
    // to go by), so it plans to check the unmapped blocks after writing and zeroes them there
    // (by plain writes: blkdiscard refuses a regular file).
    const target: TargetDevice = { path: usedCard('device.card', 24 * MiB), kind: 'block-device', sizeBytes: 24 * MiB };
    const { writer, written } = await writeImage(target, image, map, 1 << 20);
    try {
      expect(written.zeroing).toBe('check');
      expect(written.unwritten).toEqual([{ start: 16 * MiB, end: image.length }]);
      // Nothing was written there: the old contents are still on the card.
      expect(
        readFileSync(target.path)
          .subarray(16 * MiB, 20 * MiB)
          .equals(Buffer.alloc(4 * MiB, 0xee)),
      ).toBe(true);

      const lines: string[] = [];
      let checked = 0;
      const zeroed = await ensureZeros(target, written.unwritten, {
        direct: written.direct,
        dropCache: async () => undefined,
        onBytes: (count) => (checked += count),
        log: (line) => lines.push(line),
      });
      expect(zeroed).toBe(image.length - 16 * MiB);
      expect(checked).toBe(image.length - 16 * MiB);
      expect(lines).toEqual(['4 MiB of unmapped blocks did not read as zeros; zeroing them']);
      await writer.writeHead();
      expect(readFileSync(target.path).subarray(0, image.length).equals(image)).toBe(true);
      await verifyCard(target, map, written, hasher, () => undefined);
      // A second pass finds nothing to do.
      expect(
        await ensureZeros(target, written.unwritten, {
          direct: written.direct,
          dropCache: async () => undefined,
          onBytes: () => undefined,
          log: () => undefined,
        }),
      ).toBe(0);
    } finally {
      await writer.close();
    }
  });

  it.each([
    ['with O_DIRECT', true],
    ['buffered, as for a card that refuses O_DIRECT', false],
  ])('writes and verifies an image that ends off a 4 KiB boundary, %s', async (_mode, directIo) => {
    const { image, map } = mappedImage(8 * MiB + 1000, [
      [0, 4096],
      [6 * MiB, 8 * MiB + 1000],
    ]);
    const target: TargetDevice = {
      path: usedCard(`tail-${directIo}.card`, 12 * MiB),
      kind: 'file',
      sizeBytes: 12 * MiB,
    };
    const lines: string[] = [];
    const { writer, written } = await writeImage(target, image, map, 333_333, {
      directIo,
      log: (line) => lines.push(line),
    });
    try {
      expect(written.direct).toBe(directIo);
      expect(lines.some((line) => line.includes('buffered writes'))).toBe(!directIo);
      await verifyCard(target, map, written, hasher, () => undefined);
      await writer.writeHead();
      await verifyHead(target, written.head);
    } finally {
      await writer.close();
    }
    const card = readFileSync(target.path);
    expect(card.subarray(0, image.length).equals(image)).toBe(true);
    // Past the image the card file was emptied and never written: zeros, not the old 0xee.
    expect(card.subarray(image.length).equals(Buffer.alloc(card.length - image.length))).toBe(true);
  });

  it('goes on buffered when the card takes O_DIRECT at open but refuses the writes', async () => {
    // Such file systems exist (some network and FUSE ones); here a handle whose writes fail as theirs do.
    const refusing = jest.spyOn(targetDevice, 'openForDirectWriting').mockImplementation(async (target) => {
      const handle = await open(target.path, 'r+');
      handle.write = (() =>
        Promise.reject(Object.assign(new Error('EINVAL: invalid argument, write'), { code: 'EINVAL' }))) as never;
      return handle;
    });
    try {
      const { image, map } = sampleImage();
      const target: TargetDevice = { path: usedCard('refusing.card', 24 * MiB), kind: 'file', sizeBytes: 24 * MiB };
      const lines: string[] = [];
      const { writer, written } = await writeImage(target, image, map, 1 << 20, { log: (line) => lines.push(line) });
      try {
        expect(written.direct).toBe(false);
        expect(lines).toEqual(['the card refused an O_DIRECT write: buffered writes from here on']);
        await verifyCard(target, map, written, hasher, () => undefined);
        await writer.writeHead();
      } finally {
        await writer.close();
      }
      expect(readFileSync(target.path).subarray(0, image.length).equals(image)).toBe(true);
    } finally {
      refusing.mockRestore();
    }
  });

  it('finds one flipped byte on the card after writing, and says where', async () => {
    const { image, map } = sampleImage();
    const target: TargetDevice = { path: usedCard('flipped.card', 24 * MiB), kind: 'file', sizeBytes: 24 * MiB };
    const { writer, written } = await writeImage(target, image, map, 1 << 20);
    await writer.close();

    flipByte(target.path, 11 * MiB + 12345);
    await expect(verifyCard(target, map, written, hasher, () => undefined)).rejects.toThrow(
      new RegExp(
        `^checksum mismatch at offset ${10 * MiB}: the card's bytes ${10 * MiB}-${13 * MiB - 1} \\(range 3\\) ` +
          `have SHA-256 [0-9a-f]{64}, the image ${map.ranges[2].sha256}; the card is faulty$`,
      ),
    );
  });

  it('fetches a range that fails verification again, to tell a damaged card from a damaged stored image', async () => {
    const { image, map } = sampleImage();
    const target: TargetDevice = { path: usedCard('diagnosed.card', 24 * MiB), kind: 'file', sizeBytes: 24 * MiB };
    const { writer, written } = await writeImage(target, image, map, 1 << 20);
    await writer.close();
    flipByte(target.path, 11 * MiB);
    const asked: Array<[number, number]> = [];
    /** Verification where the server, asked again for a range, answers `answer()`. */
    const verifyAsking = (answer: () => Promise<string>) =>
      verifyCard(
        target,
        map,
        written,
        hasher,
        () => undefined,
        (range) => {
          asked.push([range.start, range.end]);
          return answer();
        },
      );

    // The server still sends what the map says: the card, or the way to it.
    await expect(verifyAsking(async () => map.ranges[2].sha256 as string)).rejects.toThrow(
      /^checksum mismatch at offset 10485760: .*; the server sends these bytes intact, so the card is faulty or they were damaged on the way to it \(network, this unit's memory\): install again, and replace the card if it fails again$/,
    );
    expect(asked).toEqual([[10 * MiB, 13 * MiB]]);
    // The server's bytes do not match the map either: the stored image is damaged, whatever the card holds.
    const damaged = sha(Buffer.from('something else'));
    await expect(verifyAsking(async () => damaged)).rejects.toThrow(
      `the downloaded image does not match its block map: range 3, bytes ${10 * MiB}-${13 * MiB - 1}, has SHA-256 ${damaged} but the map says ${map.ranges[2].sha256}; the stored image is corrupt: upload it again`,
    );
    // The server cannot be asked: the message says what could not be ruled out.
    await expect(verifyAsking(async () => Promise.reject(new Error('connection refused')))).rejects.toThrow(
      /the card is faulty or the bytes were damaged on the way to it \(fetching the range again to tell, and to rule out a damaged image, failed: connection refused\)$/,
    );
    // A card that verifies never asks.
    flipByte(target.path, 11 * MiB);
    asked.length = 0;
    await verifyAsking(async () => damaged);
    expect(asked).toEqual([]);
  });

  it('checks an image without a block map against the image SHA-256, and the partition table byte for byte', async () => {
    const { image } = sampleImage();
    const map = wholeImageMap(image.length, sha(image));
    const target: TargetDevice = { path: usedCard('nomap.card', 24 * MiB), kind: 'file', sizeBytes: 24 * MiB };
    const { writer, written } = await writeImage(target, image, map, 4 * MiB);
    await writer.writeHead();
    await writer.close();
    await verifyCard(target, map, written, hasher, () => undefined);
    await verifyHead(target, written.head);

    flipByte(target.path, 446 + 8);
    await expect(verifyHead(target, written.head)).rejects.toThrow(
      /checksum mismatch at offset 454: the partition table region/,
    );
    flipByte(target.path, 20 * MiB + 4000);
    await expect(verifyCard(target, map, written, hasher, () => undefined)).rejects.toThrow(
      /checksum mismatch at offset 20971520/,
    );
  });

  it('counts verified bytes for progress: every mapped byte outside the held-back first MiB', async () => {
    const { image, map } = sampleImage();
    const target: TargetDevice = { path: usedCard('count.card', 24 * MiB), kind: 'file', sizeBytes: 24 * MiB };
    const { writer, written } = await writeImage(target, image, map, 1 << 20);
    await writer.close();
    let verified = 0;
    await verifyCard(target, map, written, hasher, (count: number) => (verified += count));
    expect(verified).toBe(102400 + 3 * MiB);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeWorkDir } from '../../test/support/work-dir';
import { verifyCard } from './card-verifier';
import { HEAD_BYTES, openCard } from './card-writer';
import { ChunkWriter } from './chunk-writer';
import { HashWorker } from './hash-worker';
import type { ImageMap } from '../download/image-map';
import type { TargetDevice } from './target-device';

const MiB = 1024 * 1024;
const work = makeWorkDir('chunk-writer');
const hasher = new HashWorker();
afterAll(async () => {
  work.remove();
  await hasher.close();
});

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A 40 MiB image: a partition table block, then random data in two ranges of a block map. */
function sampleImage(): { image: Buffer; map: ImageMap } {
  const image = Buffer.alloc(40 * MiB);
  const spans: Array<[number, number]> = [
    [0, 4096],
    [2 * MiB, 38 * MiB],
  ];
  for (const [start, end] of spans) randomBytes(end - start).copy(image, start);
  const ranges = spans.map(([start, end], index) => ({
    start,
    end,
    sha256: sha(image.subarray(start, end)),
    label: `range ${index + 1}`,
  }));
  return { image, map: { imageSize: image.length, fromBlockMap: true, ranges } };
}

async function chunkWriter(name: string, map: ImageMap): Promise<{ target: TargetDevice; writer: ChunkWriter }> {
  const target: TargetDevice = { path: join(work.path, name), kind: 'file', sizeBytes: 48 * MiB };
  writeFileSync(target.path, Buffer.alloc(target.sizeBytes, 0xee));
  const opened = await openCard(target, map.imageSize, () => undefined);
  const writer = new ChunkWriter(opened, map, Buffer.alloc(HEAD_BYTES), MiB, () => undefined);
  return { target, writer };
}

/** Whether `promise` has settled after the event loop has had a moment. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  return done;
}

describe('ChunkWriter with a trailing verification', () => {
  it('lets the card be read back only where it is written and synced, and the whole card verifies', async () => {
    const { image, map } = sampleImage();
    const { target, writer } = await chunkWriter('trailed.card', map);
    try {
      const trail = writer.trail();
      if (!trail) throw new Error('a card file takes O_DIRECT: the trail was expected');
      let verified = 0;
      const verification = verifyCard(
        target,
        map,
        trail.expected,
        hasher,
        (count) => (verified += count),
        undefined,
        trail.ready,
      );
      verification.catch(() => undefined);
      const early = trail.ready(4 * MiB);
      await writer.write(0, image.subarray(0, 4096));
      for (let offset = 2 * MiB; offset < 6 * MiB; offset += MiB)
        await writer.write(offset, image.subarray(offset, offset + MiB));
      // Written, but not synced yet: not read back.
      expect(await settled(early)).toBe(false);
      for (let offset = 6 * MiB; offset < 24 * MiB; offset += MiB)
        await writer.write(offset, image.subarray(offset, offset + MiB));
      // Past the sync step: what lies before it is read back while the rest is still to come.
      await early;
      expect(await settled(trail.ready(36 * MiB))).toBe(false);
      for (let offset = 24 * MiB; offset < 38 * MiB; offset += MiB)
        await writer.write(offset, image.subarray(offset, offset + MiB));
      await writer.finish();
      await verification;
      expect(verified).toBe(36 * MiB);
      expect(readFileSync(target.path).subarray(HEAD_BYTES, image.length).equals(image.subarray(HEAD_BYTES))).toBe(
        true,
      );
    } finally {
      await writer.close();
    }
  });

  it('fails with the usual message when the card does not hold what the map says, and waits no longer once closed', async () => {
    const { image, map } = sampleImage();
    const { target, writer } = await chunkWriter('mismatch.card', map);
    const trail = writer.trail();
    if (!trail) throw new Error('a card file takes O_DIRECT: the trail was expected');
    const verification = verifyCard(target, map, trail.expected, hasher, () => undefined, undefined, trail.ready);
    verification.catch(() => undefined);
    await writer.write(0, image.subarray(0, 4096));
    const wrong = Buffer.from(image.subarray(2 * MiB, 38 * MiB));
    wrong[5 * MiB] ^= 1;
    for (let offset = 0; offset < wrong.length; offset += MiB)
      await writer.write(2 * MiB + offset, wrong.subarray(offset, offset + MiB));
    await writer.finish();
    await expect(verification).rejects.toThrow(
      new RegExp(
        `^checksum mismatch at offset ${2 * MiB}: the card's bytes ${2 * MiB}-${38 * MiB - 1} \\(range 2\\) ` +
          `have SHA-256 [0-9a-f]{64}, the image ${map.ranges[1].sha256}; the card is faulty$`,
      ),
    );
    const waiting = writer.trail()?.ready(48 * MiB);
    const rejected = expect(waiting).rejects.toThrow('the card writer was closed');
    await writer.close();
    await rejected;
  });
});

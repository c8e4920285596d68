import { createHash } from 'node:crypto';
import type { ImageMap } from './image-map';
import { InstallError } from '../install-error';
import { HashWorker } from '../card/hash-worker';
import { SourceChecker } from './source-checker';

const hasher = new HashWorker();
afterAll(() => hasher.close());

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** 64 KiB image: data in [4096, 12288) and [40960, 45056), zeros elsewhere; its block map. */
function sample(): { image: Buffer; map: ImageMap } {
  const image = Buffer.alloc(65536);
  image.fill(0x5a, 4096, 12288);
  image.fill(0xa5, 40960, 45056);
  const range = (start: number, end: number, label: string) => ({
    start,
    end,
    sha256: sha(image.subarray(start, end)),
    label,
  });
  return {
    image,
    map: { imageSize: image.length, fromBlockMap: true, ranges: [range(4096, 12288, 'r1'), range(40960, 45056, 'r2')] },
  };
}

async function feedInPieces(checker: SourceChecker, image: Buffer, pieceSize: number): Promise<void> {
  for (let offset = 0; offset < image.length; offset += pieceSize)
    await checker.update(offset, image.subarray(offset, offset + pieceSize));
  await checker.finish();
}

describe('SourceChecker', () => {
  it('accepts the image streamed whole in pieces of any size', async () => {
    const { image, map } = sample();
    for (const size of [1000, 4096, 65536]) {
      await expect(feedInPieces(new SourceChecker(map, sha(image), hasher), image, size)).resolves.toBeUndefined();
    }
  });

  it('accepts only the mapped ranges, the gaps being zeros', async () => {
    const { image, map } = sample();
    const checker = new SourceChecker(map, sha(image), hasher);
    await checker.update(4096, image.subarray(4096, 12288));
    await checker.update(40960, image.subarray(40960, 45056));
    await expect(checker.finish()).resolves.toBeUndefined();
  });

  it('names the block map range that holds a flipped byte', async () => {
    const { image, map } = sample();
    image[41000] ^= 1;
    await expect(feedInPieces(new SourceChecker(map, sha(image), hasher), image, 8192)).rejects.toThrow(
      /does not match its block map: r2, bytes 40960-45055, has SHA-256 [0-9a-f]{64} but the map says [0-9a-f]{64}/,
    );
  });

  it('leaves range checksums to verification when asked to, but still refuses data outside the ranges', async () => {
    const { image, map } = sample();
    image[41000] ^= 1;
    const rangesLater = () => new SourceChecker(map, sha(image), hasher, { hashRanges: false });
    await expect(feedInPieces(rangesLater(), image, 8192)).resolves.toBeUndefined();
    image[30000] = 1;
    await expect(feedInPieces(rangesLater(), image, 8192)).rejects.toThrow(
      /byte 30000 is not zero but lies outside every mapped range/,
    );
  });

  it('refuses data where the map says the image is empty', async () => {
    const { image, map } = sample();
    image[30000] = 1;
    await expect(feedInPieces(new SourceChecker(map, sha(image), hasher), image, 65536)).rejects.toThrow(
      /byte 30000 is not zero but lies outside every mapped range/,
    );
  });

  it('takes a block map with a checksum on every range as the reference, without the whole-image SHA-256', async () => {
    const { image, map } = sample();
    // A wrong whole-image digest goes unnoticed: every byte is accounted for by the map already.
    await expect(feedInPieces(new SourceChecker(map, 'f'.repeat(64), hasher), image, 4096)).resolves.toBeUndefined();
  });

  it('checks the whole-image SHA-256 when a range has no checksum, counting the gaps as zeros', async () => {
    const { image, map } = sample();
    const partial: ImageMap = { ...map, ranges: [map.ranges[0], { ...map.ranges[1], sha256: undefined }] };
    const checker = new SourceChecker(partial, sha(image), hasher);
    await checker.update(4096, image.subarray(4096, 12288));
    await checker.update(40960, image.subarray(40960, 45056));
    await expect(checker.finish()).resolves.toBeUndefined();

    const wrong = new SourceChecker(partial, 'f'.repeat(64), hasher);
    await expect(feedInPieces(wrong, image, 4096)).rejects.toThrow(/SHA-256 is [0-9a-f]{64} but the server says f{64}/);
  });

  it('refuses an image whose whole SHA-256 differs from what the server announced', async () => {
    const { image } = sample();
    const checker = new SourceChecker(
      {
        imageSize: image.length,
        fromBlockMap: false,
        ranges: [{ start: 0, end: image.length, label: 'the whole image' }],
      },
      'f'.repeat(64),
      hasher,
    );
    const failure = await feedInPieces(checker, image, 10000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InstallError);
    expect((failure as Error).message).toMatch(/SHA-256 is [0-9a-f]{64} but the server says f{64}/);
  });
});

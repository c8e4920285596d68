import { createHash } from 'node:crypto';
import type { ImageMap } from './image-map';
import { InstallError } from './install-error';
import { SourceChecker } from './source-checker';

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

function feedInPieces(checker: SourceChecker, image: Buffer, pieceSize: number): void {
  for (let offset = 0; offset < image.length; offset += pieceSize)
    checker.update(offset, image.subarray(offset, offset + pieceSize));
}

describe('SourceChecker', () => {
  it('accepts the image streamed whole in pieces of any size', () => {
    const { image, map } = sample();
    for (const size of [1000, 4096, 65536]) {
      const checker = new SourceChecker(map, sha(image));
      feedInPieces(checker, image, size);
      expect(() => checker.finish()).not.toThrow();
    }
  });

  it('accepts only the mapped ranges, counting the gaps as zeros for the whole-image SHA-256', () => {
    const { image, map } = sample();
    const checker = new SourceChecker(map, sha(image));
    checker.update(4096, image.subarray(4096, 12288));
    checker.update(40960, image.subarray(40960, 45056));
    expect(() => checker.finish()).not.toThrow();
  });

  it('names the block map range that holds a flipped byte', () => {
    const { image, map } = sample();
    image[41000] ^= 1;
    const checker = new SourceChecker(map, sha(image));
    expect(() => feedInPieces(checker, image, 8192)).toThrow(
      /does not match its block map: r2, bytes 40960-45055, has SHA-256 [0-9a-f]{64} but the map says [0-9a-f]{64}/,
    );
  });

  it('refuses data where the map says the image is empty', () => {
    const { image, map } = sample();
    image[30000] = 1;
    const checker = new SourceChecker(map, sha(image));
    expect(() => feedInPieces(checker, image, 65536)).toThrow(
      /byte 30000 is not zero but lies outside every mapped range/,
    );
  });

  it('refuses an image whose whole SHA-256 differs from what the server announced', () => {
    const { image } = sample();
    const checker = new SourceChecker(
      {
        imageSize: image.length,
        fromBlockMap: false,
        ranges: [{ start: 0, end: image.length, label: 'the whole image' }],
      },
      'f'.repeat(64),
    );
    feedInPieces(checker, image, 10000);
    let failure: unknown;
    try {
      checker.finish();
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(InstallError);
    expect((failure as Error).message).toMatch(/SHA-256 is [0-9a-f]{64} but the server says f{64}/);
  });
});

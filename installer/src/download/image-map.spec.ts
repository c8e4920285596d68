import { mappedBytes, verificationUnits, wholeImageMap, type ImageMap } from './image-map';

const MiB = 1024 * 1024;

describe('image maps', () => {
  it('cuts mapped ranges into units that never cross a MiB boundary', () => {
    const map: ImageMap = {
      imageSize: 4 * MiB,
      fromBlockMap: true,
      ranges: [
        { start: 0, end: 4096, label: 'a' },
        { start: MiB - 4096, end: 2 * MiB + 8192, label: 'b' },
      ],
    };
    expect(verificationUnits(map)).toEqual([
      { start: 0, end: 4096, rangeIndex: 0 },
      { start: MiB - 4096, end: MiB, rangeIndex: 1 },
      { start: MiB, end: 2 * MiB, rangeIndex: 1 },
      { start: 2 * MiB, end: 2 * MiB + 8192, rangeIndex: 1 },
    ]);
    expect(mappedBytes(map)).toBe(4096 + MiB + 12288);
  });

  it('treats an image without a block map as one range checked against the image SHA-256', () => {
    const map = wholeImageMap(2 * MiB + 5, 'ab'.repeat(32));
    expect(map.ranges).toEqual([{ start: 0, end: 2 * MiB + 5, sha256: 'ab'.repeat(32), label: 'the whole image' }]);
    expect(verificationUnits(map).map((unit) => unit.end)).toEqual([MiB, 2 * MiB, 2 * MiB + 5]);
  });
});

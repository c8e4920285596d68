import type { ImageMap } from './image-map';
import { fetchGroups } from './image-source';

const MiB = 1024 * 1024;

describe('fetchGroups', () => {
  it('fetches mapped ranges together across gaps smaller than a MiB, and apart across larger ones', () => {
    const map: ImageMap = {
      imageSize: 64 * MiB,
      fromBlockMap: true,
      ranges: [
        { start: 0, end: 4096, label: '1' },
        { start: 4 * MiB, end: 5 * MiB, label: '2' },
        { start: 5 * MiB + 4096, end: 6 * MiB, label: '3' },
        { start: 7 * MiB, end: 7 * MiB + 4096, label: '4' },
        { start: 60 * MiB, end: 64 * MiB, label: '5' },
      ],
    };
    expect(fetchGroups(map)).toEqual([
      { start: 0, end: 4096 },
      { start: 4 * MiB, end: 6 * MiB },
      { start: 7 * MiB, end: 7 * MiB + 4096 },
      { start: 60 * MiB, end: 64 * MiB },
    ]);
  });
});

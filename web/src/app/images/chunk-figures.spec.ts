import { chunkFigures } from './chunk-figures';

const MiB = 1024 * 1024;

describe('chunkFigures', () => {
  it('shows mapped and stored size, their ratio and the share with the previous version', () => {
    expect(
      chunkFigures(128 * MiB, { chunkCount: 128, storedBytes: 40 * MiB, sharedWithPreviousBytes: 96 * MiB }),
    ).toEqual({ mapped: '128.0 MiB', stored: '40.0 MiB', ratio: '3.2×', shared: '96.0 MiB (75 %)' });
  });

  it('shows a dash for the first chunked version and for an image with no stored bytes', () => {
    expect(chunkFigures(0, { chunkCount: 0, storedBytes: 0, sharedWithPreviousBytes: null })).toEqual({
      mapped: '0 B',
      stored: '0 B',
      ratio: '–',
      shared: '–',
    });
  });
});

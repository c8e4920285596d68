/** A half-open byte range [start, end) of the card. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Sorts and joins overlapping or touching ranges. */
export function mergeRanges(ranges: ByteRange[]): ByteRange[] {
  const sorted = ranges.filter((range) => range.end > range.start).sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

/** Widens ranges to whole blocks of `blockSize` (the image format's unit), clipped to `size`. */
export function toBlockRanges(ranges: ByteRange[], blockSize: number, size: number): ByteRange[] {
  return mergeRanges(
    ranges.map((range) => ({
      start: Math.floor(range.start / blockSize) * blockSize,
      end: Math.min(size, Math.ceil(range.end / blockSize) * blockSize),
    })),
  );
}

/** Ranges of set bits in `bitmap` (bit i of byte i/8, least significant first), for `count` bits. */
export function setBitRuns(bitmap: Buffer, count: number): Array<{ first: number; count: number }> {
  const runs: Array<{ first: number; count: number }> = [];
  let runStart = -1;
  for (let bit = 0; bit < count; bit += 1) {
    // Whole bytes at once: most of a bitmap is 0x00 or 0xff.
    if ((bit & 7) === 0 && bit + 8 <= count) {
      const byte = bitmap[bit >> 3];
      if (byte === 0xff && runStart >= 0) {
        bit += 7;
        continue;
      }
      if (byte === 0 && runStart < 0) {
        bit += 7;
        continue;
      }
    }
    const set = (bitmap[bit >> 3] >> (bit & 7)) & 1;
    if (set && runStart < 0) runStart = bit;
    else if (!set && runStart >= 0) {
      runs.push({ first: runStart, count: bit - runStart });
      runStart = -1;
    }
  }
  if (runStart >= 0) runs.push({ first: runStart, count: count - runStart });
  return runs;
}

import { MiB } from '../units';

/** A stretch of the image that holds data, in bytes (end exclusive), with its expected SHA-256. */
export interface MapRange {
  start: number;
  end: number;
  sha256?: string;
  /** How a person finds it again: "block map range 12 (blocks 1024-1169)" or "the whole image". */
  label: string;
}

/**
 * Which bytes of the image matter. With a block map: the mapped ranges, and everything else is
 * zeros. Without one: a single range, the whole image, checked against the image's SHA-256.
 */
export interface ImageMap {
  imageSize: number;
  /** Sorted, not overlapping. */
  ranges: MapRange[];
  fromBlockMap: boolean;
}

/** A piece of one mapped range that does not cross a MiB boundary: the unit of write records and verification. */
export interface VerificationUnit {
  start: number;
  end: number;
  rangeIndex: number;
}

export function wholeImageMap(imageSize: number, sha256: string): ImageMap {
  return { imageSize, ranges: [{ start: 0, end: imageSize, sha256, label: 'the whole image' }], fromBlockMap: false };
}

export function mappedBytes(map: ImageMap): number {
  return map.ranges.reduce((sum, range) => sum + range.end - range.start, 0);
}

/**
 * The mapped ranges cut at every `unitBytes` boundary. A verification mismatch is reported with
 * the unit's offsets, so a unit of 1 MiB says where on the card the bad byte is to within a MiB,
 * whatever the size of the block map's ranges.
 */
export function verificationUnits(map: ImageMap, unitBytes = MiB): VerificationUnit[] {
  const units: VerificationUnit[] = [];
  map.ranges.forEach((range, rangeIndex) => {
    for (let start = range.start; start < range.end;) {
      const end = Math.min(range.end, (Math.floor(start / unitBytes) + 1) * unitBytes);
      units.push({ start, end, rangeIndex });
      start = end;
    }
  });
  return units;
}

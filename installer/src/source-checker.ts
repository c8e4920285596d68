import { createHash, type Hash } from 'node:crypto';
import type { ImageMap } from './image-map';
import { InstallError } from './install-error';
import { MiB } from './units';

const ZEROS = Buffer.alloc(MiB);

/**
 * Checks the image bytes as they arrive, before the card is trusted with them: each block map
 * range against its SHA-256, bytes outside the ranges against zero (the map says they are), and
 * the whole image against the SHA-256 the server announced. Bytes that were not downloaded
 * (gaps between fetched ranges) are unmapped, so they count as zeros in the whole-image hash.
 */
export class SourceChecker {
  private readonly whole = createHash('sha256');
  private position = 0;
  private rangeIndex = 0;
  private rangeHash?: Hash;

  constructor(
    private readonly map: ImageMap,
    private readonly expectedSha256: string,
  ) {}

  update(offset: number, data: Buffer): void {
    if (offset < this.position) throw new Error(`image bytes at ${offset} arrived twice`);
    this.skipUnmapped(offset);
    for (let at = offset, rest = data; rest.length > 0;) {
      const range = this.currentRange(at);
      if (!range || at < range.start) {
        const length = Math.min(rest.length, (range?.start ?? Infinity) - at);
        if (this.map.fromBlockMap) this.expectZeros(rest.subarray(0, length), at);
        rest = rest.subarray(length);
        at += length;
        continue;
      }
      const length = Math.min(rest.length, range.end - at);
      if (this.map.fromBlockMap && range.sha256) {
        if (at === range.start) this.rangeHash = createHash('sha256');
        this.rangeHash?.update(rest.subarray(0, length));
      }
      rest = rest.subarray(length);
      at += length;
      if (at === range.end) this.closeRange();
    }
    this.whole.update(data);
    this.position = offset + data.length;
  }

  /** Call when the last byte has arrived. */
  finish(): void {
    this.skipUnmapped(this.map.imageSize);
    const actual = this.whole.digest('hex');
    if (actual !== this.expectedSha256.toLowerCase()) {
      throw new InstallError(
        `the downloaded image's SHA-256 is ${actual} but the server says ${this.expectedSha256}: ` +
          'the stored image or the transfer is corrupt',
      );
    }
  }

  /** Bytes from the current position up to `offset` were not downloaded: they must be unmapped zeros. */
  private skipUnmapped(offset: number): void {
    if (offset === this.position) return;
    const range = this.currentRange(this.position);
    if (range && range.start < offset)
      throw new Error(`mapped bytes ${range.start}-${range.end} were never downloaded`);
    for (let left = offset - this.position; left > 0; left -= Math.min(left, ZEROS.length)) {
      this.whole.update(ZEROS.subarray(0, Math.min(left, ZEROS.length)));
    }
    this.position = offset;
  }

  /** The first range that ends after `at`. */
  private currentRange(at: number) {
    const ranges = this.map.ranges;
    while (this.rangeIndex < ranges.length && ranges[this.rangeIndex].end <= at) this.rangeIndex += 1;
    return ranges[this.rangeIndex];
  }

  private closeRange(): void {
    const range = this.map.ranges[this.rangeIndex];
    const actual = this.rangeHash?.digest('hex');
    this.rangeHash = undefined;
    if (range.sha256 && this.map.fromBlockMap && actual !== range.sha256) {
      throw new InstallError(
        `the downloaded image does not match its block map: ${range.label}, bytes ${range.start}-${range.end - 1}, ` +
          `has SHA-256 ${actual} but the map says ${range.sha256}; the stored image is corrupt`,
      );
    }
  }

  private expectZeros(data: Buffer, offset: number): void {
    for (let at = 0; at < data.length; at += ZEROS.length) {
      const piece = data.subarray(at, at + ZEROS.length);
      if (piece.equals(ZEROS.subarray(0, piece.length))) continue;
      const firstNonZero = offset + at + piece.findIndex((byte) => byte !== 0);
      throw new InstallError(
        `the block map does not fit the image: byte ${firstNonZero} is not zero but lies outside every mapped range`,
      );
    }
  }
}

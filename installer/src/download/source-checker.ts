import type { HashWorker } from '../card/hash-worker';
import type { ImageMap, MapRange } from './image-map';
import { InstallError } from '../install-error';
import { MiB } from '../units';

const ZEROS = Buffer.alloc(MiB);

/**
 * Checks the image bytes as they arrive, before the card is trusted with them: bytes outside the
 * block map's ranges against zero (the map says they are) and, with `hashRanges`, each range
 * against its SHA-256. That accounts for every byte of the image, so the whole-image SHA-256 the
 * server announced is only computed when the map cannot stand for it: no block map, or a range
 * without a checksum. (Hashing 2 GiB, mostly zeros that were never downloaded, cost more CPU than
 * the rest of the install together and added nothing: the server derives the map from the very
 * same file.) Bytes that were not downloaded (gaps between fetched ranges) are unmapped, hence zeros.
 *
 * Range hashes are left to verification (`hashRanges` false) where the image is fetched by range:
 * verification hashes every range from the card anyway, and can fetch a range that fails again to
 * say whether the card or the stored image is damaged; hashing it twice was a third of the install's
 * CPU. A stream (compressed images) cannot be fetched again in part, so there the ranges are
 * checked on the way in and a damaged image is named before verification.
 * Hashing runs on the HashWorker's thread; a range's verdict arrives a little later and stops the
 * install at the next update() or at finish(), before anything is verified or reported.
 */
export class SourceChecker {
  /** The whole-image hash, only when the map does not cover every byte with a checksum. */
  private readonly wholeHash?: number;
  private readonly rangeChecks: Array<Promise<void>> = [];
  private failure?: Error;
  private position = 0;
  private rangeIndex = 0;
  private rangeHash?: number;

  constructor(
    private readonly map: ImageMap,
    private readonly expectedSha256: string,
    private readonly hasher: HashWorker,
    private readonly options = { hashRanges: true },
  ) {
    if (!mapCoversImage(map)) this.wholeHash = hasher.newHash();
  }

  async update(offset: number, data: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (offset < this.position) throw new Error(`image bytes at ${offset} arrived twice`);
    await this.skipUnmapped(offset);
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
      if (this.map.fromBlockMap && range.sha256 && this.options.hashRanges) {
        if (at === range.start) this.rangeHash = this.hasher.newHash();
        if (this.rangeHash !== undefined) await this.hasher.update(this.rangeHash, rest.subarray(0, length));
      }
      rest = rest.subarray(length);
      at += length;
      if (at === range.end) this.closeRange();
    }
    if (this.wholeHash !== undefined) await this.hasher.update(this.wholeHash, data);
    this.position = offset + data.length;
  }

  /** Call when the last byte has arrived; waits for the hashing thread's verdicts. */
  async finish(): Promise<void> {
    await this.skipUnmapped(this.map.imageSize);
    for (const check of this.rangeChecks) await check; // the first bad range in image order
    if (this.wholeHash === undefined) return;
    const actual = await this.hasher.digest(this.wholeHash);
    if (actual !== this.expectedSha256.toLowerCase()) {
      throw new InstallError(
        `the downloaded image's SHA-256 is ${actual} but the server says ${this.expectedSha256}: ` +
          'the stored image or the transfer is corrupt',
        'image_corrupt',
      );
    }
  }

  /** Bytes from the current position up to `offset` were not downloaded: they must be unmapped zeros. */
  private async skipUnmapped(offset: number): Promise<void> {
    if (offset === this.position) return;
    const range = this.currentRange(this.position);
    if (range && range.start < offset)
      throw new Error(`mapped bytes ${range.start}-${range.end} were never downloaded`);
    if (this.wholeHash !== undefined) {
      for (let left = offset - this.position; left > 0; left -= Math.min(left, ZEROS.length)) {
        await this.hasher.update(this.wholeHash, ZEROS.subarray(0, Math.min(left, ZEROS.length)));
      }
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
    const key = this.rangeHash;
    this.rangeHash = undefined;
    if (key === undefined || !range.sha256) return;
    const check = this.hasher.digest(key).then((actual) => {
      if (actual === range.sha256) return;
      throw corruptImageError(range, actual);
    });
    check.catch((error: Error) => (this.failure ??= error));
    this.rangeChecks.push(check);
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

/** A block map range whose bytes, as the server sends them, hash to `actual` instead of the map's SHA-256. */
export function corruptImageError(range: MapRange, actual: string): InstallError {
  return new InstallError(
    `the downloaded image does not match its block map: ${range.label}, bytes ${range.start}-${range.end - 1}, ` +
      `has SHA-256 ${actual} but the map says ${range.sha256}; the stored image is corrupt: upload it again`,
    'image_corrupt',
  );
}

/** A block map with a SHA-256 on every range accounts for every byte: ranges by checksum, the rest as zeros. */
export function mapCoversImage(map: ImageMap): boolean {
  return map.fromBlockMap && map.ranges.every((range) => range.sha256 !== undefined);
}

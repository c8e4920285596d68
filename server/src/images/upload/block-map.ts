import { createHash, type Hash } from 'node:crypto';
import { IMAGE_BLOCK_SIZE } from '@rpi-deploy/contracts';

/**
 * Ranges longer than this are split: adjacent ranges are legal in bmaptool's format, and
 * 8 MiB pieces let a writer verify as it goes and say where a mismatch is.
 */
const MAX_RANGE_BLOCKS = 2048;

interface MappedRange {
  first: number;
  last: number;
  sha256: string;
}

/** An image's block map as stored beside it and served to the Pis. */
export interface BlockMap {
  /** bmaptool 2.0 XML, readable by `bmaptool copy` and by the installer. */
  xml: string;
  /** The map's own checksum (its BmapFileChecksum), served as its ETag. */
  sha256: string;
  /** Bytes in mapped blocks, at most the image size (the last block may be partial). */
  mappedBytes: number;
}

/**
 * Builds the block map of an image as its bytes go by: the mapped (not all-zero) block ranges,
 * each with its SHA-256, then the bmaptool XML. The only place that knows the map's format.
 */
export class BlockMapBuilder {
  private readonly ranges: MappedRange[] = [];
  private open?: { first: number; last: number; hash: Hash };

  /** Adds `data`, the bytes of blocks `first`..`first + n - 1` that are all mapped. */
  addMapped(first: number, data: Buffer): void {
    const count = Math.ceil(data.length / IMAGE_BLOCK_SIZE);
    let done = 0;
    while (done < count) {
      if (
        !this.open ||
        this.open.last + 1 !== first + done ||
        this.open.last - this.open.first + 1 >= MAX_RANGE_BLOCKS
      ) {
        this.endRange();
        this.open = { first: first + done, last: first + done - 1, hash: createHash('sha256') };
      }
      const room = MAX_RANGE_BLOCKS - (this.open.last - this.open.first + 1);
      const take = Math.min(room, count - done);
      this.open.hash.update(data.subarray(done * IMAGE_BLOCK_SIZE, (done + take) * IMAGE_BLOCK_SIZE));
      this.open.last += take;
      done += take;
    }
  }

  /** Ends the current range (an unmapped block came between). */
  endRange(): void {
    if (!this.open) return;
    this.ranges.push({ first: this.open.first, last: this.open.last, sha256: this.open.hash.digest('hex') });
    this.open = undefined;
  }

  /** The finished map of an image of `imageSize` bytes, once all its blocks went by. */
  build(imageSize: number): BlockMap {
    this.endRange();
    const mappedBlocks = this.ranges.reduce((sum, range) => sum + range.last - range.first + 1, 0);
    return {
      ...renderBmap(imageSize, this.ranges, mappedBlocks),
      mappedBytes: Math.min(mappedBlocks * IMAGE_BLOCK_SIZE, imageSize),
    };
  }
}

const ZERO_CHECKSUM = '0'.repeat(64);

/**
 * The block map as bmaptool 2.0 XML. The file's own checksum is the SHA-256 of the file with
 * the checksum field set to 64 zeros, as bmaptool defines it.
 */
function renderBmap(imageSize: number, ranges: MappedRange[], mappedBlocks: number): { xml: string; sha256: string } {
  const blocks = Math.ceil(imageSize / IMAGE_BLOCK_SIZE);
  const percent = blocks === 0 ? 0 : (mappedBlocks / blocks) * 100;
  const lines = ranges.map(
    (range) =>
      `        <Range chksum="${range.sha256}"> ${range.first === range.last ? range.first : `${range.first}-${range.last}`} </Range>`,
  );
  const render = (checksum: string) =>
    [
      '<?xml version="1.0" ?>',
      '<!-- Block map of a master image, written by rpi-deploy in bmaptool 2.0 format: only the',
      '     listed (mapped) blocks hold data; the rest of the image is zeros. -->',
      '<bmap version="2.0">',
      `    <!-- Image size in bytes: ${imageSize} -->`,
      `    <ImageSize> ${imageSize} </ImageSize>`,
      `    <BlockSize> ${IMAGE_BLOCK_SIZE} </BlockSize>`,
      `    <BlocksCount> ${blocks} </BlocksCount>`,
      `    <!-- Count of mapped blocks: ${percent.toFixed(1)}% -->`,
      `    <MappedBlocksCount> ${mappedBlocks} </MappedBlocksCount>`,
      '    <ChecksumType> sha256 </ChecksumType>',
      `    <BmapFileChecksum> ${checksum} </BmapFileChecksum>`,
      '    <BlockMap>',
      ...lines,
      '    </BlockMap>',
      '</bmap>',
      '',
    ].join('\n');
  const sha256 = createHash('sha256').update(render(ZERO_CHECKSUM)).digest('hex');
  return { xml: render(sha256), sha256 };
}

/** One mapped range of a stored block map: blocks `first`..`last` and their SHA-256. */
export type BlockMapRange = MappedRange;

/**
 * Reads back a block map this server wrote (renderBmap's layout, one `<Range>` a line). Plain
 * matching suffices: the XML is our own, never a user's. Throws if it is not such a map.
 */
export function readBlockMap(xml: string): { imageSize: number; ranges: BlockMapRange[] } {
  const imageSize = /<ImageSize>\s*(\d+)\s*<\/ImageSize>/.exec(xml)?.[1];
  const blockSize = /<BlockSize>\s*(\d+)\s*<\/BlockSize>/.exec(xml)?.[1];
  if (imageSize === undefined || Number(blockSize) !== IMAGE_BLOCK_SIZE) {
    throw new Error(`not a block map of ${IMAGE_BLOCK_SIZE}-byte blocks written by rpi-deploy`);
  }
  const ranges = [...xml.matchAll(/<Range chksum="([0-9a-f]{64})">\s*(\d+)(?:-(\d+))?\s*<\/Range>/g)].map(
    ([, sha256, first, last]) => ({ first: Number(first), last: Number(last ?? first), sha256: sha256 as string }),
  );
  return { imageSize: Number(imageSize), ranges };
}

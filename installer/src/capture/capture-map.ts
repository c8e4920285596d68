import { readMbrPartitions } from '../card/mbr';
import { mergeRanges, toBlockRanges, type ByteRange } from './byte-ranges';
import { ext4UsedRanges } from './ext4-usage';
import { fatUsedRanges } from './fat-usage';
import type { CardSource } from './read-only-card';

const FAT_TYPES = new Set([0x01, 0x04, 0x06, 0x0b, 0x0c, 0x0e, 0xef]);
const LINUX_TYPE = 0x83;

export interface CaptureMap {
  /** Sorted, disjoint block-aligned byte ranges to capture; everything else reads as zeros. */
  ranges: ByteRange[];
  /** Bytes in `ranges`. */
  mappedBytes: number;
  /** How each partition was mapped, for the capture log. */
  partitions: Array<{ index: number; kind: 'fat' | 'ext4' | 'whole'; usedBytes: number }>;
}

/**
 * The filesystem-aware map of a card: the area before the first partition (MBR, and whatever a
 * bootloader keeps there), then per partition only what its file system allocates. A partition
 * of another type, or one whose file system does not parse, is taken whole: capturing too much
 * is slower, capturing too little breaks the image.
 */
export function buildCaptureMap(card: CardSource, blockSize: number): CaptureMap {
  const partitions = readMbrPartitions(card.read(0, 512));
  const firstStart = Math.min(...partitions.map((partition) => partition.startBytes));
  const ranges: ByteRange[] = [{ start: 0, end: firstStart }];
  const report: CaptureMap['partitions'] = [];
  for (const partition of partitions) {
    const end = partition.startBytes + partition.sizeBytes;
    let used: ByteRange[];
    let kind: 'fat' | 'ext4' | 'whole';
    try {
      if (FAT_TYPES.has(partition.type)) {
        used = fatUsedRanges(card, partition.startBytes, partition.sizeBytes);
        kind = 'fat';
      } else if (partition.type === LINUX_TYPE) {
        used = ext4UsedRanges(card, partition.startBytes);
        kind = 'ext4';
      } else throw new Error('not a file system capture reads');
    } catch {
      used = [{ start: partition.startBytes, end }];
      kind = 'whole';
    }
    const clipped = mergeRanges(
      used.map((range) => ({ start: Math.max(range.start, partition.startBytes), end: Math.min(range.end, end) })),
    );
    report.push({ index: partition.index, kind, usedBytes: clipped.reduce((sum, r) => sum + r.end - r.start, 0) });
    ranges.push(...clipped);
  }
  const blocks = toBlockRanges(ranges, blockSize, card.size);
  return { ranges: blocks, mappedBytes: blocks.reduce((sum, r) => sum + r.end - r.start, 0), partitions: report };
}

import type { ImageChunkStats } from '@rpi-deploy/contracts';
import { formatPercent, formatSize } from '../format/units';

/** An image version's chunk-store figures as the Images page shows them. */
export interface ChunkFigures {
  mapped: string;
  stored: string;
  /** Mapped bytes per stored byte: how well zstd packed it ("3.2×"). */
  ratio: string;
  /** How much of its mapped data the previous version already has ("96.0 MiB (75 %)"), or a dash. */
  shared: string;
}

export function chunkFigures(mappedBytes: number, chunks: ImageChunkStats): ChunkFigures {
  const shared = chunks.sharedWithPreviousBytes;
  return {
    mapped: formatSize(mappedBytes),
    stored: formatSize(chunks.storedBytes),
    ratio: chunks.storedBytes > 0 ? `${(mappedBytes / chunks.storedBytes).toFixed(1)}×` : '–',
    shared:
      shared === null ? '–' : `${formatSize(shared)} (${formatPercent(mappedBytes > 0 ? shared / mappedBytes : null)})`,
  };
}

import type { TransferCounts } from '@rpi-deploy/contracts';
import { formatSize } from '../format/units';

/**
 * What an install moved, in one line for people: "31.0 MiB fetched, 40.0 MiB written, 40 of 52
 * chunks reused from the card"; the chunk part only for installs from the chunk store.
 */
export function transferSummary(transfer: TransferCounts | null): string {
  if (!transfer) return '–';
  const moved = `${formatSize(transfer.bytesFetched)} fetched, ${formatSize(transfer.bytesWritten)} written`;
  if (transfer.chunksTotal === undefined) return moved;
  return `${moved}, ${transfer.chunksReused ?? 0} of ${transfer.chunksTotal} chunks reused from the card`;
}

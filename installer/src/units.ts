import { formatBytes } from '@rpi-deploy/contracts';

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** "96.0 MiB (100663296 bytes)": human first, exact second, for messages people act on. */
export function describeBytes(bytes: number): string {
  return `${formatBytes(bytes)} (${bytes} bytes)`;
}

/** Bytes per second as MB/s (decimal, like card and network speeds are quoted). */
export function formatRate(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}

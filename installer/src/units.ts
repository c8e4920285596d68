export const KiB = 1024;
export const MiB = 1024 * KiB;

/** "96.0 MiB (100663296 bytes)": human first, exact second, for messages people act on. */
export function describeBytes(bytes: number): string {
  return `${formatBytes(bytes)} (${bytes} bytes)`;
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Bytes per second as MB/s (decimal, like card and network speeds are quoted). */
export function formatRate(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}

import { formatBytes } from '@rpi-deploy/contracts';

/** Human formatting of sizes, speeds, durations and shares, the way staff read them at a glance. */

/** A size in the dashboard's style ("512 B", "1.50 KiB"): the shared formatBytes, kept in one place. */
export function formatSize(bytes: number | null | undefined): string {
  return formatBytes(bytes, 'dashboard');
}

/** Bytes per second as decimal MB/s (how card and network speeds are quoted): "42.3 MB/s". */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  if (bytesPerSecond === null || bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond)) return '–';
  if (bytesPerSecond <= 0) return '0.0 MB/s';
  const megabytes = bytesPerSecond / 1e6;
  return `${megabytes.toFixed(megabytes < 10 ? 1 : 0)} MB/s`;
}

/** Seconds as "45 s", "3 min 05 s", "1 h 02 min"; a dash when unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '–';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${String(whole % 60).padStart(2, '0')} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Seconds left for `remainingBytes` at `bytesPerSecond`, or null when it cannot be told yet. */
export function etaSeconds(remainingBytes: number, bytesPerSecond: number | null): number | null {
  if (bytesPerSecond === null || !(bytesPerSecond > 0) || !(remainingBytes >= 0)) return null;
  return remainingBytes / bytesPerSecond;
}

/** 0.873 -> "87 %"; a dash for null. */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '–';
  return `${Math.round(fraction * 100)} %`;
}

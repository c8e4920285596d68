/** Sizes in binary units (KiB, MiB...), as image and card sizes are given, for people to read. */

/**
 * `text` is for sentences (server logs and messages, the installer's console): one decimal,
 * bytes spelt out ("512 bytes", "1.5 KiB", "7.4 GiB"). `dashboard` is for the web's tables and
 * cards: two decimals below 10 so small sizes keep three digits ("512 B", "1.50 KiB", "96.0 MiB").
 */
export type ByteStyle = 'text' | 'dashboard';

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** `bytes` as people read it; a dash when unknown or impossible (negative, not a number). */
export function formatBytes(bytes: number | null | undefined, style: ByteStyle = 'text'): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '–';
  if (bytes < 1024) return style === 'text' ? `${bytes} bytes` : `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const decimals = style === 'dashboard' && value < 10 ? 2 : 1;
  return `${value.toFixed(decimals)} ${UNITS[unit]}`;
}

import { formatBytes } from './byte-units';

describe('formatBytes', () => {
  it.each([
    [0, '0 bytes'],
    [1023, '1023 bytes'],
    [1536, '1.5 KiB'],
    [96 * 1024 * 1024, '96.0 MiB'],
    [7948206080, '7.4 GiB'],
    [8 * 1024 ** 3, '8.0 GiB'],
    [3 * 1024 ** 5, '3072.0 TiB'],
  ])('writes %p bytes as %p in text', (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.50 KiB'],
    [4 * 1024 * 1024, '4.00 MiB'],
    [96 * 1024 * 1024, '96.0 MiB'],
    [3.5 * 1024 ** 3, '3.50 GiB'],
  ])('writes %p bytes as %p on the dashboard', (bytes, text) => expect(formatBytes(bytes, 'dashboard')).toBe(text));

  it('shows a dash for unknown or impossible sizes', () => {
    expect([null, undefined, -1, NaN].map((bytes) => formatBytes(bytes))).toEqual(['–', '–', '–', '–']);
    expect(formatBytes(null, 'dashboard')).toBe('–');
  });
});

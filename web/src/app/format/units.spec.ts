import { etaSeconds, formatDuration, formatPercent, formatRate, formatSize } from './units';

describe('formatSize', () => {
  it("shows sizes in the dashboard's style: short units, three digits", () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(1536)).toBe('1.50 KiB');
    expect(formatSize(96 * 1024 * 1024)).toBe('96.0 MiB');
    expect(formatSize(null)).toBe('–');
  });
});

describe('formatRate', () => {
  it('quotes decimal megabytes per second, one decimal below 10', () => {
    expect(formatRate(4_250_000)).toBe('4.3 MB/s');
    expect(formatRate(42_300_000)).toBe('42 MB/s');
  });

  it('shows zero and unknown rates plainly', () => {
    expect(formatRate(0)).toBe('0.0 MB/s');
    expect(formatRate(null)).toBe('–');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [44.6, '45 s'],
    [185, '3 min 05 s'],
    [3720, '1 h 02 min'],
  ])('%p s -> %p', (seconds, text) => expect(formatDuration(seconds)).toBe(text));

  it('shows a dash when unknown', () => {
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(Infinity)).toBe('–');
  });
});

describe('etaSeconds', () => {
  it('divides what is left by the rate', () => {
    expect(etaSeconds(100_000_000, 25_000_000)).toBe(4);
  });

  it('cannot tell without a positive rate', () => {
    expect(etaSeconds(100, 0)).toBeNull();
    expect(etaSeconds(100, null)).toBeNull();
  });
});

describe('formatPercent', () => {
  it('rounds to whole percent', () => {
    expect(formatPercent(0.873)).toBe('87 %');
    expect(formatPercent(null)).toBe('–');
  });
});

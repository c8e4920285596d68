import { RateMeter } from './progress';

describe('RateMeter', () => {
  it('measures bytes per second over a sliding window', () => {
    const meter = new RateMeter(5000);
    expect(meter.rate(0, 0)).toBe(0);
    expect(meter.rate(10_000_000, 1000)).toBe(10_000_000);
    expect(meter.rate(30_000_000, 2000)).toBe(15_000_000);
    // Only the last 5 s count (70 MB from 2 s to 7 s): the early seconds have left the window.
    expect(meter.rate(100_000_000, 7000)).toBe(14_000_000);
  });
});

import { execFileSync } from 'node:child_process';
import { compareDebianVersions } from './debian-version';

/** Pairs with the order dpkg gives them (checked with `dpkg --compare-versions` where it is installed). */
const ORDERED: [string, string][] = [
  ['1.0', '1.1'],
  ['1.0~rc1', '1.0'],
  ['1.0~~', '1.0~'],
  ['1.0', '1.0+b1'],
  ['1.0', '1.0a'],
  ['1.0a', '1.0+'],
  ['1.9', '1.10'],
  ['1.0-1', '1.0-2'],
  ['1.0-9', '1.0-10'],
  ['2.0', '1:0.1'],
  ['1:1.2', '2:0.1'],
  ['2.36.1-8', '2.36.1-8+deb12u1'],
  ['1.2.3-1+rpt1', '1.2.3-1+rpt2'],
  ['6.1.21-1+rpt1', '6.6.51-1+rpt3'],
  ['0.9.9999999999999999999', '0.9.10000000000000000000'],
  ['1.0-1~bpo1', '1.0-1'],
];
const EQUAL: [string, string][] = [
  ['1.0', '1.0'],
  ['0:1.0', '1.0'],
  ['1.01', '1.1'],
  ['1.0-0', '1.0-0'],
];

describe('compareDebianVersions', () => {
  it.each(ORDERED)('%s < %s', (low, high) => {
    expect(compareDebianVersions(low, high)).toBe(-1);
    expect(compareDebianVersions(high, low)).toBe(1);
  });

  it.each(EQUAL)('%s = %s', (a, b) => {
    expect(compareDebianVersions(a, b)).toBe(0);
  });

  it('agrees with dpkg on every pair', () => {
    for (const [low, high] of ORDERED) {
      // Exit status 0 means dpkg holds the relation true.
      expect(() => execFileSync('dpkg', ['--compare-versions', low, 'lt', high])).not.toThrow();
    }
  });
});

/**
 * Debian version ordering (deb-version(7), dpkg's verrevcmp): `[epoch:]upstream[-revision]`,
 * each part compared as alternating non-digit and digit runs; in non-digit runs letters sort
 * before non-letters and `~` before everything, even the end of the string. Written here (about
 * 40 lines, tested against dpkg's own answers) because the only npm comparator is a little-used
 * package without tests.
 */
export function compareDebianVersions(a: string, b: string): number {
  const left = split(a);
  const right = split(b);
  return (
    Math.sign(left.epoch - right.epoch) ||
    compareParts(left.upstream, right.upstream) ||
    compareParts(left.revision, right.revision)
  );
}

function split(version: string): { epoch: number; upstream: string; revision: string } {
  const colon = version.indexOf(':');
  const epoch = colon > 0 ? Number(version.slice(0, colon)) || 0 : 0;
  const rest = colon > 0 ? version.slice(colon + 1) : version;
  const dash = rest.lastIndexOf('-');
  return dash >= 0
    ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) }
    : { epoch, upstream: rest, revision: '' };
}

/** Weight of one character in a non-digit run; 0 is the end of the run. */
function order(char: string | undefined): number {
  if (char === undefined || /\d/.test(char)) return 0;
  if (char === '~') return -1;
  if (/[A-Za-z]/.test(char)) return char.charCodeAt(0);
  return char.charCodeAt(0) + 256;
}

function compareParts(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !/\d/.test(a[i] as string)) || (j < b.length && !/\d/.test(b[j] as string))) {
      const difference = order(a[i]) - order(b[j]);
      if (difference) return Math.sign(difference);
      if (i < a.length && !/\d/.test(a[i] as string)) i += 1;
      if (j < b.length && !/\d/.test(b[j] as string)) j += 1;
    }
    const digitsA = /^\d*/.exec(a.slice(i))?.[0] ?? '';
    const digitsB = /^\d*/.exec(b.slice(j))?.[0] ?? '';
    i += digitsA.length;
    j += digitsB.length;
    const difference = compareDigits(digitsA, digitsB);
    if (difference) return difference;
  }
  return 0;
}

/** Digit runs of any length, as numbers (no precision limit). */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  return Math.sign(x.length - y.length) || (x < y ? -1 : x > y ? 1 : 0);
}

import { KART_NUMBER_MAX, KART_NUMBER_MIN } from '@rpi-deploy/contracts';

export type KartListResult = { numbers: number[] } | { error: string };

/**
 * Reads a pasted list of kart numbers: separated by commas, spaces or new lines, with ranges
 * like "10-15" allowed, e.g. "1, 2, 7\n10-15". Duplicates are dropped; order is kept.
 */
export function parseKartList(text: string): KartListResult {
  const tokens = text.split(/[\s,;]+/).filter((token) => token !== '');
  if (tokens.length === 0) return { error: 'Enter at least one kart number.' };
  const numbers = new Set<number>();
  for (const token of tokens) {
    const range = /^(\d{1,3})-(\d{1,3})$/.exec(token);
    if (range) {
      const from = Number(range[1]);
      const to = Number(range[2]);
      if (from > to) return { error: `In "${token}" the first number must not be greater than the second.` };
      if (!inPool(from) || !inPool(to)) return { error: outOfRange(token) };
      for (let kart = from; kart <= to; kart++) numbers.add(kart);
      continue;
    }
    if (!/^\d{1,3}$/.test(token)) return { error: `"${token}" is not a kart number.` };
    const kart = Number(token);
    if (!inPool(kart)) return { error: outOfRange(token) };
    numbers.add(kart);
  }
  return { numbers: [...numbers] };
}

function inPool(kart: number): boolean {
  return kart >= KART_NUMBER_MIN && kart <= KART_NUMBER_MAX;
}

function outOfRange(token: string): string {
  return `"${token}" is outside ${KART_NUMBER_MIN}-${KART_NUMBER_MAX}.`;
}

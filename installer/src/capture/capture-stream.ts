import type { ByteRange } from './byte-ranges';
import type { CaptureMap } from './capture-map';
import type { CardSource } from './read-only-card';

const PIECE = 4 << 20;
const ZEROS = Buffer.alloc(PIECE);

/**
 * The captured image's bytes `from`..`to` (default: to the card's end): mapped ranges read from
 * the card, everything else zeros that are never read from it. The server's upload turns
 * all-zero blocks into unmapped ones, so the stored image is as sparse as the map; `from`
 * resumes at a byte offset the server says it already holds.
 */
export function* captureStream(card: CardSource, map: CaptureMap, from = 0, to = card.size): Generator<Buffer> {
  let at = from;
  for (const range of map.ranges) {
    if (range.end <= at) continue;
    if (range.start >= to) break;
    yield* zeros(range.start - at);
    const end = Math.min(range.end, to);
    for (let offset = Math.max(at, range.start); offset < end; offset += PIECE) {
      yield card.read(offset, Math.min(PIECE, end - offset));
    }
    at = end;
  }
  yield* zeros(to - at);
}

/**
 * The stretches of the card worth sending: the map's ranges, joined across gaps shorter than
 * `gap` (sent as zeros: one request instead of many). Longer gaps are never sent; the server
 * fills them with zeros.
 */
export function sendSegments(map: CaptureMap, gap: number): ByteRange[] {
  const segments: ByteRange[] = [];
  for (const range of map.ranges) {
    const last = segments[segments.length - 1];
    if (last && range.start - last.end < gap) last.end = range.end;
    else segments.push({ ...range });
  }
  return segments;
}

function* zeros(length: number): Generator<Buffer> {
  for (let left = length; left > 0; left -= PIECE) yield ZEROS.subarray(0, Math.min(PIECE, left));
}

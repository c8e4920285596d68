import type { CaptureMap } from './capture-map';
import type { CardSource } from './read-only-card';

const PIECE = 4 << 20;
const ZEROS = Buffer.alloc(PIECE);

/**
 * The captured image as a byte stream of the card's full size: mapped ranges read from the card,
 * everything else zeros that are never read from it. The server's upload turns all-zero blocks
 * into unmapped ones, so the stored image is as sparse as the map; `from` resumes at a byte
 * offset the server says it already holds.
 */
export function* captureStream(card: CardSource, map: CaptureMap, from = 0): Generator<Buffer> {
  let at = from;
  for (const range of map.ranges) {
    if (range.end <= at) continue;
    yield* zeros(range.start - at);
    for (let offset = Math.max(at, range.start); offset < range.end; offset += PIECE) {
      yield card.read(offset, Math.min(PIECE, range.end - offset));
    }
    at = range.end;
  }
  yield* zeros(card.size - at);
}

function* zeros(length: number): Generator<Buffer> {
  for (let left = length; left > 0; left -= PIECE) yield ZEROS.subarray(0, Math.min(PIECE, left));
}

import type { ByteRange } from './byte-ranges';
import type { CaptureMap } from './capture-map';
import type { AsyncCardSource } from './read-only-card';

const PIECE = 4 << 20;
const ZEROS = Buffer.alloc(PIECE);
/** Pieces being read from the card ahead of the upload: the card reads while the network sends. */
const READ_AHEAD = 4;

/** A piece of the stream: zeros, or a stretch read from the card. */
type Piece = { zeros: number } | { offset: number; length: number };

/**
 * The captured image's bytes `from`..`to` (default: to the card's end): mapped ranges read from
 * the card in large sequential reads, READ_AHEAD of them in flight, everything else zeros that
 * are never read from it. The server's upload turns all-zero blocks into unmapped ones, so the
 * stored image is as sparse as the map; `from` resumes at a byte offset the server says it
 * already holds.
 */
export async function* captureStream(
  card: AsyncCardSource,
  map: CaptureMap,
  from = 0,
  to = card.size,
): AsyncGenerator<Buffer> {
  const pieces = plan(map, from, to);
  const ahead: Promise<Buffer>[] = [];
  const fill = () => {
    for (let next = pieces.next(); ; next = pieces.next()) {
      if (next.done) return;
      const piece = next.value;
      const bytes =
        'zeros' in piece ? Promise.resolve(ZEROS.subarray(0, piece.zeros)) : card.readAsync(piece.offset, piece.length);
      // A read that fails after the consumer stopped is nobody's to report.
      bytes.catch(() => undefined);
      ahead.push(bytes);
      if (ahead.length >= READ_AHEAD) return;
    }
  };
  fill();
  while (ahead.length > 0) {
    const bytes = await ahead.shift()!;
    fill();
    yield bytes;
  }
}

function* plan(map: CaptureMap, from: number, to: number): Generator<Piece> {
  let at = from;
  for (const range of map.ranges) {
    if (range.end <= at) continue;
    if (range.start >= to) break;
    yield* zeros(range.start - at);
    const end = Math.min(range.end, to);
    for (let offset = Math.max(at, range.start); offset < end; offset += PIECE) {
      yield { offset, length: Math.min(PIECE, end - offset) };
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

function* zeros(length: number): Generator<Piece> {
  for (let left = length; left > 0; left -= PIECE) yield { zeros: Math.min(PIECE, left) };
}

import { open } from '../download/http-client';

/** What a peer answered: the frame, or `missing` (404: it no longer holds the chunk). */
export type PeerAnswer = Buffer | 'missing';

/**
 * One chunk frame from a peer (`<peer>/chunks/<sha256>.zst`), whole, at most `maxBytes`. Unlike
 * the server's chunks it is not resumed: a peer that stalls, breaks off or answers oddly rejects,
 * and the fetcher moves on to the next source.
 */
export async function fetchFromPeer(
  peer: string,
  sha256: string,
  maxBytes: number,
  stallMs: number,
): Promise<PeerAnswer> {
  const response = await open(`${peer}/chunks/${sha256}.zst`, { timeoutMs: stallMs });
  if (response.statusCode === 404) {
    response.resume();
    return 'missing';
  }
  if (response.statusCode !== 200) {
    response.resume();
    throw new Error(`HTTP ${response.statusCode}`);
  }
  const pieces: Buffer[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const stall = () => {
    clearTimeout(timer);
    timer = setTimeout(() => response.destroy(new Error(`nothing for ${stallMs / 1000} s`)), stallMs);
  };
  stall();
  try {
    for await (const piece of response) {
      stall();
      size += (piece as Buffer).length;
      if (size > maxBytes) throw new Error(`more than ${maxBytes} bytes`);
      pieces.push(piece as Buffer);
    }
  } finally {
    clearTimeout(timer);
    response.destroy();
  }
  if (!response.complete) throw new Error('the answer broke off');
  return Buffer.concat(pieces);
}

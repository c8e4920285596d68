import type { ChunkManifest, ImageChunk } from '@rpi-deploy/contracts';
import type { HashWorker } from '../card/hash-worker';
import { InstallError } from '../install-error';
import { fetchFromPeer } from '../peers/peer-fetch';
import type { PeerSession } from '../peers/peer-session';
import { sleep } from './backoff';
import { downloadRange, WaitInLine, type DownloadOptions } from './resumable-download';
import type { ZstdDecompress } from './zstd';

/** Downloads of one chunk whose bytes do not match its name before the install gives up on it. */
export const CHUNK_ATTEMPTS = 3;
/** Chunks fetched ahead of the card: the network keeps going while the card writes, memory stays bounded. */
const CHUNKS_AHEAD = 8;

export interface VerifiedChunk {
  index: number;
  chunk: ImageChunk;
  /** The uncompressed bytes, whose SHA-256 is the chunk's name. */
  data: Buffer;
  /** Made from a patch against the bytes the card held there. */
  patched: boolean;
}

export interface ChunkTools {
  decompress: ZstdDecompress;
  hasher: HashWorker;
  /**
   * For a chunk whose range on the card holds the base of one of its patches: that base's
   * SHA-256 and a way to its bytes (read from the card before the chunk is written there).
   */
  patchBase?: (index: number) => { base: string; bytes: () => Promise<Buffer> } | undefined;
  /** Sharing with the fleet: sources to try before the server, and where verified chunks are announced. */
  peers?: PeerSession;
}

/** A peer that delivers nothing for this long is given up on (the server's downloads wait longer and resume). */
const PEER_STALL_MS = 10_000;
/** How often a unit the server keeps in line asks its neighbours again for a chunk none of them had. */
const PEER_RECHECK_MS = 500;

/**
 * The chunks to fetch, in order, each downloaded (resuming like a range of the image), decoded and
 * its SHA-256 checked before it is handed on: a damaged chunk never reaches the card. Up to
 * CHUNKS_AHEAD are fetched at once while the consumer writes earlier ones.
 */
export async function* fetchChunks(
  manifest: ChunkManifest,
  indices: number[],
  tools: ChunkTools,
  options: DownloadOptions,
): AsyncGenerator<VerifiedChunk> {
  const pending: Array<Promise<VerifiedChunk>> = [];
  let next = 0;
  const startNext = () => {
    const index = indices[next++];
    const fetching = fetchChunk(manifest, index, tools, options);
    fetching.catch(() => undefined); // awaited in order below
    pending.push(fetching);
  };
  try {
    while (next < indices.length && pending.length < CHUNKS_AHEAD) startNext();
    while (pending.length > 0) {
      const chunk = await (pending.shift() as Promise<VerifiedChunk>);
      if (next < indices.length) startNext();
      yield chunk;
    }
  } finally {
    await Promise.allSettled(pending);
  }
}

async function fetchChunk(
  manifest: ChunkManifest,
  index: number,
  tools: ChunkTools,
  options: DownloadOptions,
): Promise<VerifiedChunk> {
  const chunk = manifest.chunks[index];
  const url = `${manifest.chunkBaseUrl}/${chunk.sha256}.zst`;
  const name = `chunk ${index + 1} of ${manifest.chunks.length} (image bytes ${chunk.offset}-${chunk.offset + chunk.length - 1}, ${url})`;
  const patched = await fetchPatched(manifest, index, tools, options).catch((error: Error) => {
    options.log(`${name}: its patch did not do (${error.message}); fetching the whole chunk`);
    return undefined;
  });
  if (patched) {
    tools.peers?.hold(chunk.sha256);
    return { index, chunk, data: patched, patched: true };
  }
  // In the server's line, the unit keeps looking at its neighbours: one of them soon holds the chunk.
  for (;;) {
    const fromPeer = tools.peers && (await fetchFromPeersWhileInLine(chunk, tools, tools.peers, options));
    if (fromPeer) return { index, chunk, data: fromPeer, patched: false };
    try {
      return { index, chunk, data: await fetchFromServer(chunk, url, name, tools, options), patched: false };
    } catch (error) {
      if (!(error instanceof WaitInLine)) throw error;
    }
  }
}

/**
 * The chunk from the server, its digest checked; fetched again when it does not decode or match.
 * With peers, a 503 "wait in line" rejects with WaitInLine (the caller looks at the peers meanwhile).
 */
async function fetchFromServer(
  chunk: ImageChunk,
  url: string,
  name: string,
  tools: ChunkTools,
  options: DownloadOptions,
): Promise<Buffer> {
  let problem = '';
  for (let attempt = 1; attempt <= CHUNK_ATTEMPTS; attempt += 1) {
    let data: Buffer;
    let frame: Buffer;
    try {
      frame = await fetchFrame(url, { ...options, elsewhere: Boolean(tools.peers) }, name);
      data = await tools.decompress(frame, chunk.length);
    } catch (error) {
      if (error instanceof InstallError || error instanceof WaitInLine) throw error;
      problem = `does not decode (${(error as Error).message})`;
      options.log(`${name} ${problem}; fetching it again (${attempt} of ${CHUNK_ATTEMPTS})`);
      continue;
    }
    const actual = await digest(tools.hasher, data);
    if (actual === chunk.sha256 && data.length === chunk.length) {
      tools.peers?.hold(chunk.sha256, frame);
      return data;
    }
    problem = `arrives with ${data.length} bytes of SHA-256 ${actual}, not its name`;
    options.log(`${name} ${problem}; fetching it again (${attempt} of ${CHUNK_ATTEMPTS})`);
  }
  throw new InstallError(
    `${name} is damaged: after ${CHUNK_ATTEMPTS} downloads it still ${problem}; none of it was written to the card. ` +
      'The stored chunk is corrupt: upload the image again',
    'image_corrupt',
  );
}

/**
 * The chunk from the peers; while the server keeps this unit in line, asked again every
 * PEER_RECHECK_MS (the tracker learns of new holders by the second) until a peer has it or the
 * server's Retry-After has passed.
 */
async function fetchFromPeersWhileInLine(
  chunk: ImageChunk,
  tools: ChunkTools,
  peers: PeerSession,
  options: DownloadOptions,
): Promise<Buffer | undefined> {
  for (;;) {
    const data = await fetchFromPeers(chunk, tools, peers, options);
    if (data || !options.turn?.waiting) return data;
    await sleep(PEER_RECHECK_MS);
  }
}

/**
 * The chunk from the first peer the tracker suggests that answers it rightly, or undefined (the
 * server then serves it). A peer whose answer breaks off, does not decode or has another digest is
 * dropped and reported; one that answers 404 no longer holds it (it withdraws it itself) and is
 * simply passed over. Nothing unverified leaves this function.
 */
async function fetchFromPeers(
  chunk: ImageChunk,
  tools: ChunkTools,
  peers: PeerSession,
  options: DownloadOptions,
): Promise<Buffer | undefined> {
  // A frame of incompressible bytes is a little larger than the bytes; nothing honest is larger.
  const maxFrame = chunk.length + Math.ceil(chunk.length / 128) + 1024;
  for (const peer of await peers.sources(chunk.sha256)) {
    let frame;
    try {
      frame = await fetchFromPeer(peer, chunk.sha256, maxFrame, Math.min(PEER_STALL_MS, options.stallTimeoutMs));
    } catch (error) {
      peers.fault(peer, chunk.sha256, `no answer: ${(error as Error).message}`);
      continue;
    }
    if (frame === 'missing') continue;
    options.onBytes(frame.length);
    peers.bytesFromPeers += frame.length;
    const data = await tools.decompress(frame, chunk.length).catch(() => undefined);
    const actual = data && (await digest(tools.hasher, data));
    if (!data || actual !== chunk.sha256 || data.length !== chunk.length) {
      const what = data ? `${data.length} bytes of SHA-256 ${actual}` : 'a frame that does not decode';
      peers.fault(peer, chunk.sha256, `wrong chunk: ${what}`);
      continue;
    }
    peers.hold(chunk.sha256, frame);
    return data;
  }
  return undefined;
}

/**
 * The chunk rebuilt from its patch and the base bytes the card holds at its range, or undefined
 * when there is no such base. Any failure (the patch missing, damaged, or decoding to other
 * bytes) rejects: the caller falls back to the whole chunk, so a bad patch costs a download.
 */
async function fetchPatched(
  manifest: ChunkManifest,
  index: number,
  tools: ChunkTools,
  options: DownloadOptions,
): Promise<Buffer | undefined> {
  const chunk = manifest.chunks[index];
  const source = tools.patchBase?.(index);
  const patch = source && chunk.patches?.find((candidate) => candidate.base === source.base);
  if (!source || !patch) return undefined;
  const url = `${manifest.chunkBaseUrl}/${chunk.sha256}.from-${patch.base}.zst`;
  const [frame, base] = await Promise.all([
    fetchFrame(url, { ...options, retries: Math.min(options.retries, 1) }, `patch ${url}`),
    source.bytes(),
  ]);
  const data = await tools.decompress(frame, chunk.length, base);
  const actual = await digest(tools.hasher, data);
  if (actual !== chunk.sha256 || data.length !== chunk.length) {
    throw new Error(`it decodes to ${data.length} bytes of SHA-256 ${actual}`);
  }
  return data;
}

/**
 * The whole frame, to its end whatever size the manifest gave: a captured chunk's frame is
 * replaced by a smaller one when the server recompresses it, and a manifest fetched before then
 * still gives the old size. (Bytes of both spliced by a resume would not decode: fetched again.)
 */
async function fetchFrame(url: string, options: DownloadOptions, name: string): Promise<Buffer> {
  const pieces: Buffer[] = [];
  try {
    for await (const piece of downloadRange(url, 0, undefined, {}, options)) pieces.push(piece);
  } catch (error) {
    if (error instanceof WaitInLine) throw error;
    throw new InstallError(
      `${name} could not be fetched: ${(error as Error).message}; the server's chunk store lacks it or is unreachable: ` +
        'check the image on the server (upload it again if it is damaged) and install again',
      'network',
    );
  }
  return Buffer.concat(pieces);
}

async function digest(hasher: HashWorker, data: Buffer): Promise<string> {
  const key = hasher.newHash();
  await hasher.update(key, data);
  return hasher.digest(key);
}

import type { ChunkManifest, ImageChunk } from '@rpi-deploy/contracts';
import type { HashWorker } from '../card/hash-worker';
import { InstallError } from '../install-error';
import { downloadRange, type DownloadOptions } from './resumable-download';
import type { ZstdDecompress } from './zstd';

/** Downloads of one chunk whose bytes do not match its name before the install gives up on it. */
export const CHUNK_ATTEMPTS = 3;
/** Chunks fetched ahead of the card: the network keeps going while the card writes, memory stays bounded. */
const CHUNKS_AHEAD = 4;

export interface VerifiedChunk {
  index: number;
  chunk: ImageChunk;
  /** The uncompressed bytes, whose SHA-256 is the chunk's name. */
  data: Buffer;
}

/**
 * The chunks to fetch, in order, each downloaded (resuming like a range of the image), decoded and
 * its SHA-256 checked before it is handed on: a damaged chunk never reaches the card. Up to
 * CHUNKS_AHEAD are fetched at once while the consumer writes earlier ones.
 */
export async function* fetchChunks(
  manifest: ChunkManifest,
  indices: number[],
  tools: { decompress: ZstdDecompress; hasher: HashWorker },
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
  { decompress, hasher }: { decompress: ZstdDecompress; hasher: HashWorker },
  options: DownloadOptions,
): Promise<VerifiedChunk> {
  const chunk = manifest.chunks[index];
  const url = `${manifest.chunkBaseUrl}/${chunk.sha256}.zst`;
  const name = `chunk ${index + 1} of ${manifest.chunks.length} (image bytes ${chunk.offset}-${chunk.offset + chunk.length - 1}, ${url})`;
  let problem = '';
  for (let attempt = 1; attempt <= CHUNK_ATTEMPTS; attempt += 1) {
    const pieces: Buffer[] = [];
    try {
      for await (const piece of downloadRange(url, 0, chunk.storedSize, {}, options)) pieces.push(piece);
    } catch (error) {
      throw new InstallError(
        `${name} could not be fetched: ${(error as Error).message}; the server's chunk store lacks it or is unreachable: ` +
          'check the image on the server (upload it again if it is damaged) and install again',
        'network',
      );
    }
    let data: Buffer;
    try {
      data = await decompress(Buffer.concat(pieces), chunk.length);
    } catch (error) {
      problem = `does not decode (${(error as Error).message})`;
      options.log(`${name} ${problem}; fetching it again (${attempt} of ${CHUNK_ATTEMPTS})`);
      continue;
    }
    const key = hasher.newHash();
    await hasher.update(key, data);
    const actual = await hasher.digest(key);
    if (actual === chunk.sha256 && data.length === chunk.length) return { index, chunk, data };
    problem = `arrives with ${data.length} bytes of SHA-256 ${actual}, not its name`;
    options.log(`${name} ${problem}; fetching it again (${attempt} of ${CHUNK_ATTEMPTS})`);
  }
  throw new InstallError(
    `${name} is damaged: after ${CHUNK_ATTEMPTS} downloads it still ${problem}; none of it was written to the card. ` +
      'The stored chunk is corrupt: upload the image again',
    'image_corrupt',
  );
}

import type { ChunkManifest, ChunkPatch, ImageChunk, ImageDescriptor } from '@rpi-deploy/contracts';
import type { ImageMap } from './image-map';
import { downloadSmallDocument, type DocumentRetry } from './small-document';
import { InstallError } from '../install-error';

/**
 * Fetches the image's chunk manifest (retried like the block map: network errors, 5xx, 408, 429)
 * and checks it against the configuration and the block map before anything is fetched by it.
 */
export async function downloadManifest(
  image: ImageDescriptor & { manifestUrl: string },
  map: ImageMap,
  retry: DocumentRetry,
): Promise<ChunkManifest> {
  return downloadSmallDocument('chunk manifest', image.manifestUrl, retry, (body) =>
    checkManifest(parseJson(body), image, map),
  );
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new InstallError("the image's chunk manifest is not JSON");
  }
}

/**
 * The manifest must describe the configured image (size, SHA-256), list well-formed chunks in
 * offset order inside the image, and cover every byte the block map says holds data: a chunk
 * missing would leave data off the card, and the card writer relies on the order.
 */
export function checkManifest(value: unknown, image: ImageDescriptor, map: ImageMap): ChunkManifest {
  const fail = (problem: string): never => {
    throw new InstallError(
      `the image's chunk manifest does not fit image ${image.version}: ${problem}; nothing was written`,
    );
  };
  const manifest = value as ChunkManifest;
  if (manifest?.format !== 'rpi-deploy-chunks/1')
    fail(`format "${String(manifest?.format)}" is not rpi-deploy-chunks/1`);
  if (manifest.compression !== 'zstd') fail(`compression "${String(manifest.compression)}" is not zstd`);
  if (manifest.imageSize !== image.size)
    fail(`it is for an image of ${manifest.imageSize} bytes, the configuration says ${image.size}`);
  if (String(manifest.imageSha256).toLowerCase() !== image.sha256.toLowerCase())
    fail(`its image SHA-256 is ${manifest.imageSha256}, the configuration says ${image.sha256}`);
  if (typeof manifest.chunkBaseUrl !== 'string' || !/^https?:\/\//.test(manifest.chunkBaseUrl))
    fail('chunkBaseUrl is not an http(s) URL');
  if (!Array.isArray(manifest.chunks)) fail('it has no chunk list');
  let end = 0;
  manifest.chunks.forEach((chunk: ImageChunk, index) => {
    const whole = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
    if (!whole(chunk?.offset) || !whole(chunk.length) || chunk.length === 0 || !whole(chunk.storedSize))
      fail(`chunk ${index} has a malformed offset, length or stored size`);
    if (!/^[0-9a-f]{64}$/.test(chunk.sha256)) fail(`chunk ${index} has a malformed SHA-256`);
    if (chunk.patches !== undefined) {
      const patches: unknown = chunk.patches;
      const wellFormed =
        Array.isArray(patches) &&
        patches.every((patch: ChunkPatch) => /^[0-9a-f]{64}$/.test(patch?.base) && whole(patch.storedSize));
      if (!wellFormed) fail(`chunk ${index} has malformed patches`);
    }
    if (chunk.offset < end) fail(`chunk ${index} at byte ${chunk.offset} overlaps or precedes the one before`);
    if (chunk.offset + chunk.length > image.size) fail(`chunk ${index} runs past the image's end`);
    end = chunk.offset + chunk.length;
  });
  let cursor = 0;
  for (const range of map.ranges) {
    for (let at = range.start; at < range.end;) {
      while (cursor < manifest.chunks.length && chunkEnd(manifest.chunks[cursor]) <= at) cursor += 1;
      const chunk = manifest.chunks[cursor];
      if (!chunk || chunk.offset > at) fail(`image byte ${at} (${range.label}) is in no chunk`);
      at = Math.min(range.end, chunkEnd(chunk));
    }
  }
  return manifest;
}

function chunkEnd(chunk: ImageChunk): number {
  return chunk.offset + chunk.length;
}

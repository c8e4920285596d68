import type { ImageDescriptor } from '@rpi-deploy/contracts';
import { createHash } from 'node:crypto';
import { decode } from './decode';
import type { ImageMap } from './image-map';
import { InstallError } from '../install-error';
import { downloadRange, type DownloadOptions, type DownloadSession } from './resumable-download';
import { MiB } from '../units';

/** Image bytes at an offset of the uncompressed image. */
export interface ImagePiece {
  offset: number;
  data: Buffer;
}

export interface ImageSource {
  pieces: AsyncGenerator<ImagePiece>;
  /** Image bytes this source delivers in all: what download progress counts against. */
  bytesTotal: number;
  /** How the image travels, for the log. */
  description: string;
  /**
   * The SHA-256 of image bytes [start, end) fetched afresh from the server; only where the image is
   * fetched by range. Verification asks it about a range that does not match its block map, to tell
   * a damaged card (the server's bytes match) from a damaged stored image (they do not either).
   */
  servedSha256?: (span: { start: number; end: number }) => Promise<string>;
}

/** Mapped ranges closer than this are fetched in one request: fewer round trips for a little more data. */
const MAX_FETCH_GAP = MiB;

/**
 * Where the image bytes come from. A raw image with a block map is fetched range by range, only
 * the mapped ranges (a sparse image moves a fraction of its size over the network). A compressed
 * stream cannot be entered in the middle: it is downloaded whole and decoded on the fly.
 */
export function imageSource(image: ImageDescriptor, map: ImageMap, options: DownloadOptions): ImageSource {
  const session: DownloadSession = {};
  const compression = image.compression ?? 'none';
  if (compression === 'none' && map.fromBlockMap) {
    const groups = fetchGroups(map);
    return {
      pieces: mappedPieces(image.url, groups, session, options),
      bytesTotal: groups.reduce((sum, group) => sum + group.end - group.start, 0),
      description: `only the mapped ranges, in ${groups.length} range requests`,
      servedSha256: async ({ start, end }) => {
        const hash = createHash('sha256');
        for await (const data of downloadRange(image.url, start, end, session, {
          ...options,
          onBytes: () => undefined,
        }))
          hash.update(data);
        return hash.digest('hex');
      },
    };
  }
  return {
    pieces: streamedPieces(image, session, options),
    bytesTotal: image.size,
    description: compression === 'none' ? 'the whole raw image' : `the whole ${compression} stream, decoded on the fly`,
  };
}

/** The mapped ranges merged across small gaps: [start, end) byte spans to request. */
export function fetchGroups(map: ImageMap, maxGap = MAX_FETCH_GAP): Array<{ start: number; end: number }> {
  const groups: Array<{ start: number; end: number }> = [];
  for (const range of map.ranges) {
    const last = groups.at(-1);
    if (last && range.start - last.end < maxGap) last.end = range.end;
    else groups.push({ start: range.start, end: range.end });
  }
  return groups;
}

async function* mappedPieces(
  url: string,
  groups: Array<{ start: number; end: number }>,
  session: DownloadSession,
  options: DownloadOptions,
): AsyncGenerator<ImagePiece> {
  for (const group of groups) {
    let offset = group.start;
    for await (const data of downloadRange(url, group.start, group.end, session, options)) {
      yield { offset, data };
      offset += data.length;
    }
  }
}

async function* streamedPieces(
  image: ImageDescriptor,
  session: DownloadSession,
  options: DownloadOptions,
): AsyncGenerator<ImagePiece> {
  const decoder = decode(downloadRange(image.url, 0, undefined, session, options), image.compression ?? 'none');
  let offset = 0;
  try {
    for await (const data of decoder.output) {
      if (offset + data.length > image.size) {
        throw new InstallError(`the image is longer than the ${image.size} bytes the server announced`);
      }
      yield { offset, data };
      offset += data.length;
    }
    await decoder.finished();
  } finally {
    decoder.abort();
  }
  if (offset !== image.size) {
    throw new InstallError(`the image ended after ${offset} of the ${image.size} bytes the server announced`);
  }
}

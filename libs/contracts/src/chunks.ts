/**
 * The chunk store: an image's mapped data cut into chunks, each named by the SHA-256 of its
 * uncompressed bytes and stored zstd-compressed once, whichever images share it. A unit rebuilds
 * the image from the manifest; chunks it already holds on its card need not travel.
 */

/** Nominal chunk size: chunks are the mapped ranges cut on a fixed grid of this size. */
export const CHUNK_GRID_BYTES = 1024 * 1024;

/**
 * A chunk's probe covers its first bytes, up to this many: a card whose bytes there differ cannot
 * hold the chunk, so the installer reads the rest of its range only where the probe matches.
 */
export const CHUNK_PROBE_BYTES = 4096;

/** The first 16 hex digits of the SHA-256 of a chunk's first CHUNK_PROBE_BYTES (or all of a shorter one). */
export type ChunkProbe = string;

/** Bytes [offset, offset + length) of the image, stored compressed as `<sha256>.zst`. */
export interface ImageChunk {
  offset: number;
  length: number;
  /** SHA-256 (hex) of the uncompressed bytes: the chunk's name, checked before it is written. */
  sha256: string;
  /** Size of the zstd frame the server sends. */
  storedSize: number;
  /** Absent for chunks stored before probes existed: the installer then reads the whole range. */
  probe?: ChunkProbe;
  /**
   * Shorter ways to this chunk for a card whose bytes at this range are an earlier version's
   * chunk `base`: the chunk compressed with those bytes as its zstd dictionary, served at
   * `${chunkBaseUrl}/${sha256}.from-${base}.zst`. Listed only where the server made one.
   */
  patches?: ChunkPatch[];
}

/** A patch frame: the chunk compressed against the chunk `base` (SHA-256) that held its range before. */
export interface ChunkPatch {
  base: string;
  storedSize: number;
  /** The base chunk's probe, when the server still knows it. */
  baseProbe?: ChunkProbe;
}

/** `GET /images/<file>.chunks` on the deployment listener. */
export interface ChunkManifest {
  format: 'rpi-deploy-chunks/1';
  imageSize: number;
  /** SHA-256 (hex) of the whole uncompressed image. */
  imageSha256: string;
  compression: 'zstd';
  /** Chunk `c` is served at `${chunkBaseUrl}/${c.sha256}.zst` (built from DEPLOY_PUBLIC_URL). */
  chunkBaseUrl: string;
  /** In offset order, not overlapping; together they cover every mapped block. */
  chunks: ImageChunk[];
}

/** What the chunk store holds for one image version (ImageDto.chunks). */
export interface ImageChunkStats {
  chunkCount: number;
  /** Bytes the chunks of this image take in the store (compressed), shared ones included. */
  storedBytes: number;
  /** Of mappedBytes, how much is in chunks the previous version of the product also has. */
  sharedWithPreviousBytes: number | null;
}

/**
 * Converting an image stored before the chunk store (`POST /api/images/:id/chunks`): its mapped
 * data read back from the stored file, checked against the block map and cut into chunks.
 * One conversion runs at a time; others wait `queued`.
 */
export interface ImageConversionDto {
  imageId: number;
  state: 'queued' | 'running' | 'done' | 'failed';
  /** Mapped bytes read and checked so far, of all the image's mapped bytes. */
  doneBytes: number;
  totalBytes: number;
  /** Why it failed (state `failed`). */
  error?: string;
}

/**
 * Bringing a captured image's chunks, stored at a fast zstd level so the capture keeps up with
 * the card (CAPTURE_ZSTD_LEVEL), to the store's level (CHUNK_ZSTD_LEVEL) in the background: bytes
 * are the chunks' uncompressed lengths. One image at a time; others wait `queued`.
 */
export type ImageRecompressionDto = ImageConversionDto;

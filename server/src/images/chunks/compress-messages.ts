/** One chunk to compress and store: `data` is its uncompressed bytes. */
export interface CompressJob {
  id: number;
  data: Uint8Array;
  level: number;
  /** Final path of the chunk; the worker writes `temporaryPath` and renames it there. */
  path: string;
  temporaryPath: string;
  /**
   * A patch: the stored frame of the base chunk, whose bytes become the dictionary. The patch is
   * stored only when its frame is smaller than `patchBelow` bytes (else it would not pay).
   */
  patch?: { basePath: string; patchBelow: number };
}

/** The stored frame's size (null: a patch not worth storing), or why it could not be stored. */
export type CompressDone = { id: number; storedSize: number | null } | { id: number; error: string };

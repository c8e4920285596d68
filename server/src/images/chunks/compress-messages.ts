/** One chunk to compress and store: `data` is its uncompressed bytes. */
export interface CompressJob {
  id: number;
  /** Absent for a recompression, which takes the bytes from the frame at `path`. */
  data?: Uint8Array;
  level: number;
  /** Final path of the chunk; the worker writes `temporaryPath` and renames it there. */
  path: string;
  temporaryPath: string;
  /**
   * A patch: the stored frame of the base chunk, whose bytes become the dictionary. The patch is
   * stored only when its frame is smaller than `patchBelow` bytes (else it would not pay).
   */
  patch?: { basePath: string; patchBelow: number };
  /** The frame at `path` (stored at a faster level) is decompressed and stored again at `level`. */
  recompress?: true;
}

/** What the pool's low-priority thread is told when it starts (as its workerData). */
export interface CompressThreadData {
  background: boolean;
}

/** The stored frame's size (null: a patch not worth storing), or why it could not be stored. */
export type CompressDone = { id: number; storedSize: number | null } | { id: number; error: string };

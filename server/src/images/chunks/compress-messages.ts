/** One chunk to compress and store: `data` is its uncompressed bytes. */
export interface CompressJob {
  id: number;
  data: Uint8Array;
  level: number;
  /** Final path of the chunk; the worker writes `temporaryPath` and renames it there. */
  path: string;
  temporaryPath: string;
}

/** The stored frame's size, or why it could not be stored. */
export type CompressDone = { id: number; storedSize: number } | { id: number; error: string };

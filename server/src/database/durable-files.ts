import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Forces what was written to a file, or the entries of a folder, onto the disk (fsync). Without
 * it a power cut can leave a file that the server already relied on empty, or a new name
 * missing, even though the writing process finished long ago.
 */
export async function syncToDisk(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** syncToDisk for code that runs before the server starts (no event loop to wait on yet). */
export function syncToDiskNow(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

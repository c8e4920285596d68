import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { compress } from 'zstd-napi';
import type { CompressDone, CompressJob } from './compress-messages';

/**
 * A compression worker (a thread of compress-pool.ts): zstd at a high level takes tens of
 * milliseconds per chunk, which would stall the server's event loop. The frame is written under
 * a temporary name and renamed into place, so a chunk file is either complete or absent.
 * Modes as image-store.ts's STORED_FILE_MODE / STORED_FOLDER_MODE (not imported: this worker
 * loads nothing of Nest): the folder's group (nginx's, behind nginx) reads the frames.
 */
parentPort?.on('message', (job: CompressJob) => {
  let done: CompressDone;
  try {
    const frame = compress(job.data, { compressionLevel: job.level });
    mkdirSync(dirname(job.path), { recursive: true, mode: 0o750 });
    try {
      writeFileSync(job.temporaryPath, frame, { mode: 0o640, flag: 'wx' });
      // The mode given to writeFileSync is cut by the umask.
      chmodSync(job.temporaryPath, 0o640);
      renameSync(job.temporaryPath, job.path);
    } catch (error) {
      rmSync(job.temporaryPath, { force: true });
      throw error;
    }
    done = { id: job.id, storedSize: frame.length };
  } catch (error) {
    done = { id: job.id, error: (error as Error).message };
  }
  parentPort?.postMessage(done);
});

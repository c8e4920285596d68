import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { compress, Compressor, decompress } from 'zstd-napi';
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
    const frame = job.patch ? compressPatch(job, job.patch) : compress(job.data, { compressionLevel: job.level });
    if (frame === null) {
      done = { id: job.id, storedSize: null };
    } else {
      store(job, frame);
      done = { id: job.id, storedSize: frame.length };
    }
  } catch (error) {
    done = { id: job.id, error: (error as Error).message };
  }
  parentPort?.postMessage(done);
});

/**
 * The chunk compressed with the base chunk's bytes as a raw-content dictionary (what
 * `zstd --patch-from` does): what both share costs next to nothing. Null when it does not pay.
 */
function compressPatch(job: CompressJob, patch: NonNullable<CompressJob['patch']>): Buffer | null {
  const base = decompress(readFileSync(patch.basePath));
  const compressor = new Compressor();
  compressor.setParameters({ compressionLevel: job.level });
  compressor.loadDictionary(base);
  const frame = compressor.compress(job.data);
  return frame.length < patch.patchBelow ? frame : null;
}

function store(job: CompressJob, frame: Buffer): void {
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
}

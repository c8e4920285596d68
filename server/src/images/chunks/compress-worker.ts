import { chmodSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
import { basename, dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { compress, Compressor, decompress } from 'zstd-napi';
import type { CompressDone, CompressJob, CompressThreadData } from './compress-messages';

// The background thread (recompressions) yields the cores to everything else: on Linux a
// thread's own id given to setpriority sets the nice value of that thread alone.
if ((workerData as CompressThreadData | undefined)?.background) {
  setPriority(Number(basename(readlinkSync('/proc/thread-self'))), constants.priority.PRIORITY_LOW);
}

/**
 * A compression worker (a thread of compress-pool.ts): zstd at a high level takes tens of
 * milliseconds per chunk, which would stall the server's event loop. The frame is written under
 * a temporary name and renamed into place, so a chunk file is either complete or absent, and a
 * recompressed one replaces its faster frame at once (a download reading the old file reads it whole).
 * Modes as image-store.ts's STORED_FILE_MODE / STORED_FOLDER_MODE (not imported: this worker
 * loads nothing of Nest): the folder's group (nginx's, behind nginx) reads the frames.
 */
parentPort?.on('message', (job: CompressJob) => {
  let done: CompressDone;
  try {
    const data = job.recompress ? decompress(readFileSync(job.path)) : (job.data as Uint8Array);
    const frame = job.patch ? compressPatch(data, job, job.patch) : compress(data, { compressionLevel: job.level });
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
function compressPatch(data: Uint8Array, job: CompressJob, patch: NonNullable<CompressJob['patch']>): Buffer | null {
  const base = decompress(readFileSync(patch.basePath));
  const compressor = new Compressor();
  compressor.setParameters({ compressionLevel: job.level });
  compressor.loadDictionary(base);
  const frame = compressor.compress(data);
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

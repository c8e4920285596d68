import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CompressDone, CompressJob, CompressThreadData } from './compress-messages';

/** One thread per core, at most four: compression uses the cores, never the event loop. */
export const COMPRESS_THREADS = Math.min(4, Math.max(1, availableParallelism()));

interface Thread {
  worker: Worker;
  background: boolean;
  job?: { id: number; resolve: (storedSize: number | null) => void; reject: (error: Error) => void };
}

type Queued = Omit<CompressJob, 'id'> & {
  /** The caller is done with `data`: its memory moves to the thread (when it owns all of it). */
  handOver: boolean;
  resolve: (storedSize: number | null) => void;
  reject: (error: Error) => void;
};

/**
 * Compresses and stores chunks in worker threads (compress-worker.ts), one job per thread at a
 * time, the rest queued in order. Callers bound how many they queue (see ChunkCutter): the pool
 * holds whatever it is given. Threads start with the first job and end with the server.
 * Background jobs (recompressions) have one more thread of their own, at the lowest CPU priority,
 * so they use what the cores have left and never hold up an upload's or a capture's chunks.
 */
@Injectable()
export class CompressPool implements BeforeApplicationShutdown {
  private readonly threads: Thread[] = [];
  private readonly queues: Record<'now' | 'background', Queued[]> = { now: [], background: [] };
  private nextId = 1;
  private closed = false;

  /** Resolves with the stored frame's size once the file is in place (null: a patch that did not pay). */
  compress(
    job: Omit<CompressJob, 'id'>,
    priority: 'now' | 'background' = 'now',
    handOver = false,
  ): Promise<number | null> {
    if (this.closed) return Promise.reject(new Error('the server is shutting down'));
    return new Promise<number | null>((resolve, reject) => {
      this.queues[priority].push({ ...job, handOver, resolve, reject });
      this.dispatch();
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    for (const queued of [...this.queues.now.splice(0), ...this.queues.background.splice(0)])
      queued.reject(new Error('the server is shutting down'));
    await Promise.all(this.threads.splice(0).map(({ worker }) => worker.terminate()));
  }

  private dispatch(): void {
    this.dispatchFrom(this.queues.now, false, COMPRESS_THREADS);
    this.dispatchFrom(this.queues.background, true, 1);
  }

  private dispatchFrom(queue: Queued[], background: boolean, maxThreads: number): void {
    while (queue.length > 0) {
      const ours = this.threads.filter((candidate) => candidate.background === background);
      let thread = ours.find((candidate) => !candidate.job);
      if (!thread && ours.length < maxThreads) thread = this.start(background);
      if (!thread) return;
      const { resolve, reject, handOver, ...job } = queue.shift() as Queued;
      const id = this.nextId++;
      thread.job = { id, resolve, reject };
      // Only a buffer that is all of its memory moves: a slice of Node's shared pool must not.
      const data = job.data;
      const movable = handOver && data && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      thread.worker.postMessage({ ...job, id } satisfies CompressJob, movable ? [data.buffer as ArrayBuffer] : []);
    }
  }

  private start(background: boolean): Thread {
    const workerData: CompressThreadData = { background };
    // The compiled server runs the compiled worker; run from its TypeScript sources (the
    // integration tests), the thread transpiles them first (server/test/support/typescript-require-hook.js).
    const entry = join(__dirname, `compress-worker${extname(__filename)}`);
    const worker = entry.endsWith('.ts')
      ? new Worker(
          `require(${JSON.stringify(join(__dirname, '../../../test/support/typescript-require-hook.js'))});` +
            `require(${JSON.stringify(entry)});`,
          { eval: true, workerData },
        )
      : new Worker(entry, { workerData });
    const thread: Thread = { worker, background };
    const finish = (settle: (job: NonNullable<Thread['job']>) => void) => {
      const job = thread.job;
      thread.job = undefined;
      if (job) settle(job);
      this.dispatch();
    };
    worker.on('message', (done: CompressDone) =>
      finish((job) => ('error' in done ? job.reject(new Error(done.error)) : job.resolve(done.storedSize))),
    );
    worker.on('error', (error) => finish((job) => job.reject(error)));
    worker.on('exit', () => {
      const index = this.threads.indexOf(thread);
      if (index >= 0) this.threads.splice(index, 1);
      finish((job) => job.reject(new Error('the compression thread exited')));
    });
    this.threads.push(thread);
    return thread;
  }
}

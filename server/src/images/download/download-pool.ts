import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { fork, type ChildProcess, type SendHandle } from 'node:child_process';
import type { Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import type { DownloadDone, DownloadJob, WorkerReady } from './download-messages';

/** One worker per core, at most four: each streams many downloads at once. */
const POOL_SIZE = Math.min(4, Math.max(1, availableParallelism()));

interface Worker {
  child: ChildProcess;
  ready: Promise<boolean>;
  pending: Map<number, (done: DownloadDone) => void>;
}

/**
 * Image bytes leave through child processes ("download workers", download-worker.ts): the
 * server checks the request and decides the status and headers, then passes the connection
 * itself (its file descriptor, over the child's IPC channel) with the head to the least busy
 * worker, which writes head and bytes with large reads into reused buffers and closes the
 * connection. So a single-threaded server uses every core for downloads, and 32 Pis
 * downloading do not make the installer API wait behind their bytes. The workers start with the
 * first download, end with the server (a download in flight is cut; the installer resumes
 * with Range), and a worker that dies is replaced by the next download.
 */
@Injectable()
export class DownloadPool implements BeforeApplicationShutdown {
  private readonly logger = new Logger(DownloadPool.name);
  private readonly workers: Worker[] = [];
  private nextId = 1;
  private closed = false;

  /** Process ids of the running workers. */
  pids(): number[] {
    return this.workers.map((worker) => worker.child.pid).filter((pid): pid is number => pid !== undefined);
  }

  /**
   * Hands the connection and the job to a worker and resolves once the worker closed it; or
   * resolves with `null` at once, without touching the connection, when no worker can take it.
   */
  async send(socket: Socket, job: Omit<DownloadJob, 'id'>): Promise<DownloadDone | null> {
    const worker = await this.leastBusy();
    if (!worker || socket.destroyed) return null;
    const id = this.nextId++;
    return new Promise<DownloadDone>((resolve) => {
      worker.pending.set(id, resolve);
      // The socket's native handle, not the socket: sending a net.Socket would also enrol the
      // HTTP server in Node's cluster bookkeeping, whose close() then never returns once a
      // worker has exited. The worker gets a duplicate of the descriptor; closing this
      // process's own (socket.destroy below) does not end the connection.
      const handle = (socket as unknown as { _handle: SendHandle })._handle;
      worker.child.send({ ...job, id } satisfies DownloadJob, handle, (error) => {
        if (error) {
          worker.pending.delete(id);
          resolve({ id, error: `handing the connection to a download worker failed: ${error.message}` });
        }
        socket.destroy();
      });
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.workers.splice(0).map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
  }

  private async leastBusy(): Promise<Worker | undefined> {
    if (this.closed) return undefined;
    while (this.workers.length < POOL_SIZE) this.workers.push(this.start());
    const worker = this.workers.reduce((best, next) => (next.pending.size < best.pending.size ? next : best));
    return (await worker.ready) && !this.closed ? worker : undefined;
  }

  private start(): Worker {
    // The compiled server forks the compiled worker; run from its TypeScript sources (the
    // integration tests), the child transpiles them the same way (server/test/support/typescript-require-hook.js).
    const entry = join(__dirname, `download-worker${extname(__filename)}`);
    const execArgv = entry.endsWith('.ts')
      ? ['--require', join(__dirname, '../../../test/support/typescript-require-hook.js')]
      : [];
    const child = fork(entry, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const pending = new Map<number, (done: DownloadDone) => void>();
    const forget = () => {
      const index = this.workers.findIndex((worker) => worker.child === child);
      if (index >= 0) this.workers.splice(index, 1);
      for (const [id, done] of pending) done({ id, error: 'the download worker exited' });
      pending.clear();
    };
    const ready = new Promise<boolean>((resolve) => {
      child.on('message', (message: DownloadDone | WorkerReady) => {
        if ('ready' in message) return resolve(true);
        pending.get(message.id)?.(message);
        pending.delete(message.id);
      });
      child.once('error', (error) => {
        this.logger.error(`Download worker failed: ${error.message}; serving downloads in-process`);
        resolve(false);
        forget();
      });
      child.once('exit', (code, signal) => {
        resolve(false);
        if (!this.closed) this.logger.warn(`Download worker ${child.pid} exited (${signal ?? code}); replacing it`);
        forget();
      });
    });
    return { child, ready, pending };
  }
}

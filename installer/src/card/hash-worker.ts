import { Worker } from 'node:worker_threads';

/** Bytes per batch: the unit the worker hashes at a time. */
const BATCH_BYTES = 4 * 1024 * 1024;
/** Batches in shared memory; update() waits for a free one, so at most this much is queued (bounded memory). */
const BATCHES = 8;
/**
 * Hashing threads. A SHA-256 is sequential, but block map ranges are independent: consecutive
 * keys go to different threads, so two ranges are hashed at once (a Pi 5 has four cores).
 */
const THREADS = 2;

/**
 * The worker's code, run from a string (`eval`), so the bundle stays one file. It keeps one
 * SHA-256 per key, hashes batches straight from the shared memory and hands each batch back
 * once hashed; asked for a digest, it answers with the hex digest.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
const hashFor = (key) => {
  let hash = hashes.get(key);
  if (!hash) hashes.set(key, (hash = createHash('sha256')));
  return hash;
};
parentPort.on('message', (message) => {
  if (message.op === 'update') {
    hashFor(message.key).update(new Uint8Array(workerData.shared, message.batch * ${BATCH_BYTES}, message.length));
    parentPort.postMessage({ op: 'free', batch: message.batch });
  } else if (message.op === 'view') {
    hashFor(message.key).update(new Uint8Array(message.memory, message.offset, message.length));
    parentPort.postMessage({ op: 'viewed', id: message.id });
  } else {
    const hash = hashes.get(message.key) || createHash('sha256');
    hashes.delete(message.key);
    parentPort.postMessage({ op: 'digest', key: message.key, hex: hash.digest('hex') });
  }
});
`;

/**
 * SHA-256 on worker threads. Hashing the image is the install's main CPU cost; on its own thread
 * it runs beside the download, the decoder and the writes (or the read-back) instead of between
 * them, and on a busy or small machine the install gets one more thread's share of the CPU.
 * Data goes through a fixed set of batches in shared memory: one copy, no allocation per piece,
 * small messages. Each hash is named by the key newHash() gave it (a block map range, the whole
 * image) and is done once its digest was asked for. update() copies, so callers may reuse buffers;
 * updateShared() hashes data that already lies in shared memory (the card reader's buffers) where
 * it is, without a copy.
 */
export class HashWorker {
  private readonly shared = new SharedArrayBuffer(BATCHES * BATCH_BYTES);
  private readonly workers = Array.from(
    { length: THREADS },
    () => new Worker(WORKER_SOURCE, { eval: true, workerData: { shared: this.shared } }),
  );
  private readonly free = Array.from({ length: BATCHES }, (_, index) => index);
  private readonly filling = new Map<number, { batch: number; length: number }>();
  private readonly digests = new Map<number, { resolve: (hex: string) => void; reject: (error: Error) => void }>();
  private readonly views = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextView = 0;
  /** Messages sent whose answer has not come back yet. */
  private awaited = 0;
  private closing = false;
  /** update() calls waiting for a free batch: each freed batch wakes one, in order. */
  private readonly waitingForBatch: Array<() => void> = [];
  private failure?: Error;
  private nextKey = 0;

  constructor() {
    for (const worker of this.workers) this.watch(worker);
  }

  private watch(worker: Worker): void {
    worker.on('message', (message: { op: string; batch: number; key: number; hex: string; id: number }) => {
      this.answered();
      if (message.op === 'free') {
        this.free.push(message.batch);
        this.waitingForBatch.shift()?.();
      } else if (message.op === 'viewed') {
        this.views.get(message.id)?.resolve();
        this.views.delete(message.id);
      } else {
        this.digests.get(message.key)?.resolve(message.hex);
        this.digests.delete(message.key);
      }
    });
    worker.on('error', (error) => {
      this.failure = new Error(`the hashing thread failed: ${error.message}`);
      for (const waiting of [...this.digests.values(), ...this.views.values()]) waiting.reject(this.failure);
      for (const wake of this.waitingForBatch.splice(0)) wake();
    });
    worker.unref(); // kept alive only while an answer is awaited (see post)
  }

  /**
   * Sends a message that the thread answers. While any answer is awaited the threads keep the
   * process alive: otherwise a caller waiting only on a hash (nothing else in flight) would see
   * Node exit, with code 0, in the middle of an install. Idle, they never keep it alive.
   */
  private post(worker: Worker, message: object): void {
    if (this.awaited === 0) for (const each of this.workers) each.ref();
    this.awaited += 1;
    worker.postMessage(message);
  }

  private answered(): void {
    this.awaited -= 1;
    // Once closing, terminate() holds the threads until they have exited: a late answer must not let go.
    if (this.awaited === 0 && !this.closing) for (const each of this.workers) each.unref();
  }

  /** A new, empty hash; returns its key. */
  newHash(): number {
    this.nextKey += 1;
    return this.nextKey;
  }

  /** Adds `data` to the hash `key`; waits while every batch is queued for the worker. */
  async update(key: number, data: Uint8Array): Promise<void> {
    for (let done = 0; done < data.length;) {
      let current = this.filling.get(key);
      if (!current) {
        while (this.free.length === 0) {
          this.throwIfFailed();
          await new Promise<void>((resolve) => this.waitingForBatch.push(resolve));
        }
        current = { batch: this.free.pop() as number, length: 0 };
        this.filling.set(key, current);
      }
      const take = Math.min(data.length - done, BATCH_BYTES - current.length);
      new Uint8Array(this.shared, current.batch * BATCH_BYTES + current.length, take).set(
        data.subarray(done, done + take),
      );
      current.length += take;
      done += take;
      if (current.length === BATCH_BYTES) this.send(key);
    }
    this.throwIfFailed();
  }

  /**
   * Adds `data`, a view of a SharedArrayBuffer, to the hash `key` without copying it; resolves
   * once it is hashed, and the caller must not change that memory before.
   */
  updateShared(key: number, data: Uint8Array): Promise<void> {
    this.throwIfFailed();
    if (!(data.buffer instanceof SharedArrayBuffer)) throw new Error('updateShared() needs a view of shared memory');
    this.send(key); // what update() gathered for this key goes first
    this.nextView += 1;
    const id = this.nextView;
    const hashed = new Promise<void>((resolve, reject) => this.views.set(id, { resolve, reject }));
    this.post(this.workerFor(key), {
      op: 'view',
      key,
      id,
      memory: data.buffer,
      offset: data.byteOffset,
      length: data.length,
    });
    return hashed;
  }

  /** The hex digest of everything added to `key`; the key is then done with. */
  digest(key: number): Promise<string> {
    this.throwIfFailed();
    this.send(key);
    const hex = new Promise<string>((resolve, reject) => this.digests.set(key, { resolve, reject }));
    this.post(this.workerFor(key), { op: 'digest', key });
    return hex;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private send(key: number): void {
    const current = this.filling.get(key);
    if (!current) return;
    this.filling.delete(key);
    this.post(this.workerFor(key), { op: 'update', key, batch: current.batch, length: current.length });
  }

  /** Every message about a key goes to the same thread, so its hash sees its data in order. */
  private workerFor(key: number): Worker {
    return this.workers[key % THREADS];
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}

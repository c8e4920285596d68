import { createHash, randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { runProgramSource } from '../../test/support/run-program-source';
import { AlignedMemory } from './aligned-memory';
import { HashWorker } from './hash-worker';

const hasher = new HashWorker();
afterAll(() => hasher.close());

const sha = (...parts: Buffer[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

describe('HashWorker', () => {
  it('hashes copied and shared pieces of one key in the order they were given', async () => {
    const memory = new AlignedMemory(2, 1024 * 1024, { shared: true });
    const [a, b, c] = [randomBytes(5000), randomBytes(300_000), randomBytes(7)];
    b.copy(memory.buffers[0]);
    const key = hasher.newHash();
    await hasher.update(key, a);
    const shared = hasher.updateShared(key, memory.buffers[0].subarray(0, b.length));
    await hasher.update(key, c);
    expect(await hasher.digest(key)).toBe(sha(a, b, c));
    await shared;
  });

  it('hashes several keys at once on its threads, each to its own digest', async () => {
    const memory = new AlignedMemory(8, 64 * 1024, { shared: true });
    const keys = memory.buffers.map((buffer) => {
      randomBytes(buffer.length).copy(buffer);
      const key = hasher.newHash();
      return { key, expected: sha(buffer), hashed: hasher.updateShared(key, buffer) };
    });
    await Promise.all(keys.map(({ hashed }) => hashed));
    for (const { key, expected } of keys) expect(await hasher.digest(key)).toBe(expected);
  });

  it('serves many callers waiting for a free batch at once, none left behind', async () => {
    // More hashes in flight than shared batches: several update() calls wait together.
    const pieces = Array.from({ length: 24 }, () => randomBytes(5 * 1024 * 1024 + 123));
    const digests = await Promise.all(
      pieces.map(async (piece) => {
        const key = hasher.newHash();
        await hasher.update(key, piece);
        return hasher.digest(key);
      }),
    );
    expect(digests).toEqual(pieces.map((piece) => sha(piece)));
  });

  it('keeps the process alive while a hash is awaited, and lets it end once idle', () => {
    // A program whose only pending work is the hash: Node must not exit before the digest arrives.
    // Without close(): idle threads must not hold the process open either (the run would time out).
    const run = runProgramSource(
      { HashWorker: 'card/hash-worker', AlignedMemory: 'card/aligned-memory' },
      `const hasher = new HashWorker();
const memory = new AlignedMemory(1, 4096, { shared: true });
memory.buffers[0].fill(7);
const key = hasher.newHash();
hasher.updateShared(key, memory.buffers[0]).then(() => hasher.digest(key)).then((hex) => console.log('digest', hex));
`,
    );
    expect(run).toMatchObject({ status: 0, stdout: `digest ${sha(Buffer.alloc(4096, 7))}\n` });
  });

  it('keeps holding its threads while they stop, even when an answer arrives late', async () => {
    // terminate() refs a thread until it has exited; letting go of it then (an answer to a batch
    // sent before close) let Node exit with code 0 while an install was closing after a failure.
    const closing = new HashWorker();
    const key = closing.newHash();
    await closing.update(key, Buffer.alloc(1024, 3)); // gathered, not sent yet
    const unref = jest.spyOn(Worker.prototype, 'unref');
    try {
      const digest = closing.digest(key); // sends the piece and asks: two answers awaited
      digest.catch(() => undefined);
      const closed = closing.close();
      // Both answers arrive after close() began (emitted here, so the test does not race the thread).
      const [first] = (closing as unknown as { workers: Worker[] }).workers;
      first.emit('message', { op: 'free', batch: 0 });
      first.emit('message', { op: 'digest', key, hex: 'late' });
      await closed;
      expect(unref).not.toHaveBeenCalled();
    } finally {
      unref.mockRestore();
    }
  });

  it('refuses to hash memory that is not shared without copying it', () => {
    expect(() => hasher.updateShared(hasher.newHash(), Buffer.alloc(16))).toThrow(/needs a view of shared memory/);
  });
});

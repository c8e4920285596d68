import { closeSync, constants, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { makeWorkDir } from '../../test/support/work-dir';
import { AlignedMemory, isDirectAligned } from './aligned-memory';

const work = makeWorkDir('aligned-memory');
afterAll(() => work.remove());

describe('AlignedMemory', () => {
  it('gives buffers that O_DIRECT writes take, each its own', () => {
    const memory = new AlignedMemory(3, 256 * 1024);
    expect(memory.memory).not.toBeInstanceOf(SharedArrayBuffer);
    memory.buffers.forEach((buffer, index) => buffer.fill(index + 1));
    const path = join(work.path, 'direct.card');
    writeFileSync(path, Buffer.alloc(0));
    const fd = openSync(path, constants.O_WRONLY | constants.O_DIRECT);
    try {
      memory.buffers.forEach((buffer, index) => writeSync(fd, buffer, 0, buffer.length, index * buffer.length));
    } finally {
      closeSync(fd);
    }
    const card = readFileSync(path);
    memory.buffers.forEach((buffer, index) =>
      expect(
        card.subarray(index * buffer.length, (index + 1) * buffer.length).every((byte) => byte === index + 1),
      ).toBe(true),
    );
  });

  it('is shared between threads when asked to be', () => {
    const memory = new AlignedMemory(2, 4096, { shared: true });
    expect(memory.memory).toBeInstanceOf(SharedArrayBuffer);
    expect(memory.buffers[1].buffer).toBe(memory.memory);
  });

  it('refuses sizes that would leave the next buffer unaligned', () => {
    expect(() => new AlignedMemory(2, 1000)).toThrow(/multiple of 4096/);
  });

  it('tells which transfers may use O_DIRECT', () => {
    expect(isDirectAligned(0, 4096)).toBe(true);
    expect(isDirectAligned(8192, 4 * 1024 * 1024)).toBe(true);
    expect(isDirectAligned(512, 4096)).toBe(false);
    expect(isDirectAligned(4096, 1000)).toBe(false);
  });
});

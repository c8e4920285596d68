import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { makeWorkDir } from '../../test/support/work-dir';
import { dropCachedPages } from './page-cache';

const work = makeWorkDir('page-cache');
afterAll(() => work.remove());

/** Bytes of the file in the page cache, as util-linux fincore counts them. */
function cachedBytes(path: string): number {
  return Number(
    execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' }).trim(),
  );
}

describe('dropCachedPages', () => {
  it('makes the next reads of a synced card file come from the disk, not from memory', async () => {
    const path = join(work.path, 'card.img');
    const fd = openSync(path, 'w');
    writeSync(fd, randomBytes(8 << 20));
    fsyncSync(fd);
    closeSync(fd);
    expect(cachedBytes(path)).toBe(8 << 20);

    const log: string[] = [];
    await dropCachedPages({ path, kind: 'file', sizeBytes: 8 << 20 }, (line) => log.push(line));

    expect(log).toEqual([]);
    expect(cachedBytes(path)).toBe(0);
  });

  it('fails when a block device cannot drop its cache, because verification would read memory', async () => {
    const path = join(work.path, 'not-a-device');
    await expect(dropCachedPages({ path, kind: 'block-device', sizeBytes: 1 }, () => undefined)).rejects.toThrow(
      /cannot drop the card's cached pages, so it cannot be verified: blockdev --flushbufs .+ failed/,
    );
  });
});

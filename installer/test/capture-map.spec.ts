import { closeSync, openSync, readSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { IMAGE_BLOCK_SIZE } from '@rpi-deploy/contracts';
import {
  buildReferenceCard,
  checkExt4,
  checkFat,
  readFatFile,
  runTool,
  sha256File,
  usedExt4Bytes,
  type ReferenceCard,
} from '@rpi-deploy/test-kit';
import { buildCaptureMap, type CaptureMap } from '../src/capture/capture-map';
import { captureStream } from '../src/capture/capture-stream';
import { ext4UsedRanges } from '../src/capture/ext4-usage';
import { ReadOnlyCard } from '../src/capture/read-only-card';
import { ext4Tree } from './support/card-checks';
import { makeWorkDir } from './support/work-dir';

/** The image a capture of `map` stores: mapped ranges copied, everything else zeros. */
function sparseCopy(card: ReferenceCard, map: CaptureMap, path: string): void {
  const source = openSync(card.path, 'r');
  const target = openSync(path, 'w');
  try {
    ftruncateSync(target, card.size);
    for (const range of map.ranges) {
      const data = Buffer.alloc(range.end - range.start);
      readSync(source, data, 0, data.length, range.start);
      writeSync(target, data, 0, data.length, range.start);
    }
  } finally {
    closeSync(source);
    closeSync(target);
  }
}

describe('capture map of a reference card', () => {
  const work = makeWorkDir('capture-map');
  let card: ReferenceCard;
  let map: CaptureMap;

  beforeAll(() => {
    card = buildReferenceCard(work.path, { sizeMiB: 160, randomDataMiB: 24, deletedFraction: 0.3 });
    const reader = new ReadOnlyCard(card.path);
    try {
      map = buildCaptureMap(reader, IMAGE_BLOCK_SIZE);
    } finally {
      reader.close();
    }
  });
  afterAll(() => work.remove());

  it('reads the card without changing a byte of it', () => {
    expect(sha256File(card.path)).toBe(card.sha256);
  });

  it('maps exactly the blocks ext4 has allocated, and none of the deleted files', () => {
    const root = map.partitions.find((partition) => partition.index === 2);
    expect(root?.kind).toBe('ext4');
    expect(root?.usedBytes).toBe(usedExt4Bytes(card.path, card.partitions.root.startBytes));
    expect(card.deletedBlocks.length).toBeGreaterThan(0);
    const start = card.partitions.root.startBytes;
    const mapped = (byte: number) => map.ranges.some((range) => byte >= range.start && byte < range.end);
    const stillMapped = card.deletedBlocks.filter((block) => mapped(start + block * 4096));
    expect(stillMapped).toEqual([]);
  });

  it('maps the MBR and the FAT file system by its FAT, far less than the partitions hold', () => {
    expect(map.ranges[0].start).toBe(0);
    expect(map.partitions.map((partition) => partition.kind)).toEqual(['fat', 'ext4']);
    expect(map.mappedBytes).toBeLessThan(card.size / 2);
  });

  it('yields an image with the same files, clean to fsck, when only the mapped blocks are copied', () => {
    const copy = join(work.path, 'captured.img');
    sparseCopy(card, map, copy);
    const { boot, root } = card.partitions;
    expect(checkExt4(copy, root.startBytes)).toMatchObject({ clean: true });
    expect(checkFat(copy, boot.startBytes, boot.sizeBytes)).toMatchObject({ clean: true });
    const cardTree = ext4Tree(card.path, root.startBytes, join(work.path, 'card-tree'));
    expect(cardTree).toContain('./opt/recorder/model.bin');
    expect(ext4Tree(copy, root.startBytes, join(work.path, 'copy-tree'))).toBe(cardTree);
    for (const name of ['cmdline.txt', 'config.txt', 'kernel_2712.img']) {
      expect(readFatFile(copy, boot.startBytes, name)).toEqual(readFatFile(card.path, boot.startBytes, name));
    }
  });

  it('counts uninitialised groups of a many-group file system (1 KiB blocks, flex_bg) as e2fsprogs does', () => {
    const fs = join(work.path, 'groups.ext4');
    writeFileSync(fs, Buffer.alloc(0));
    runTool('truncate', ['-s', '96M', fs]);
    runTool('mkfs.ext4', ['-q', '-F', '-b', '1024', '-E', 'nodiscard', fs]);
    const data = join(work.path, 'data.bin');
    writeFileSync(data, randomBytes(20 << 20));
    runTool('debugfs', ['-w', '-R', `write ${data} /data.bin`, fs]);
    expect(runTool('dumpe2fs', [fs]).toString()).toMatch(/BLOCK_UNINIT/);
    const reader = new ReadOnlyCard(fs);
    try {
      const used = ext4UsedRanges(reader, 0).reduce((sum, range) => sum + range.end - range.start, 0);
      // The boot block is counted with the superblock here; e2fsprogs leaves block 0 out with 1 KiB blocks.
      expect(used).toBe(usedExt4Bytes(fs, 0) + 1024);
    } finally {
      reader.close();
    }
  });

  it('streams the same image as the mapped copy, also when resumed at an offset', async () => {
    const copy = join(work.path, 'expected.img');
    sparseCopy(card, map, copy);
    const expected = sha256File(copy);
    const reader = new ReadOnlyCard(card.path);
    try {
      const whole = createHash('sha256');
      let length = 0;
      for await (const piece of captureStream(reader, map)) {
        whole.update(piece);
        length += piece.length;
      }
      expect(length).toBe(card.size);
      expect(whole.digest('hex')).toBe(expected);
      const longest = map.ranges.reduce((a, b) => (b.end - b.start > a.end - a.start ? b : a));
      const resumeAt = longest.start + Math.floor((longest.end - longest.start) / 8192) * 4096;
      const tail: Buffer[] = [];
      for await (const piece of captureStream(reader, map, resumeAt)) tail.push(piece);
      const head = Buffer.alloc(resumeAt);
      const fd = openSync(copy, 'r');
      readSync(fd, head, 0, resumeAt, 0);
      closeSync(fd);
      expect(createHash('sha256').update(head).update(Buffer.concat(tail)).digest('hex')).toBe(expected);
    } finally {
      reader.close();
    }
  });

  it('refuses a card without a partition table', () => {
    const blank = join(work.path, 'blank.img');
    writeFileSync(blank, Buffer.alloc(1 << 20));
    const reader = new ReadOnlyCard(blank);
    try {
      expect(() => buildCaptureMap(reader, IMAGE_BLOCK_SIZE)).toThrow(/no MBR partition table/);
    } finally {
      reader.close();
    }
  });
});

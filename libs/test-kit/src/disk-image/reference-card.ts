/**
 * A reference card as a maintainer's Pi leaves it: a Raspberry-Pi-OS-shaped image that was used
 * and then cleaned up, so a share of its root file system's blocks are free yet still hold the
 * deleted files' data (what `bmaptool create` maps and a filesystem-aware capture must not).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPiOsImage, sha256File, type PiOsImage, type PiOsImageOptions } from './pi-os-image';
import { runTool } from './run-tool';

export interface ReferenceCard extends PiOsImage {
  /** Root-file-system block numbers the deleted files occupied (free now, old data in them). */
  deletedBlocks: number[];
  /** Bytes of the deleted files. */
  deletedBytes: number;
}

/**
 * Builds the image, writes files of random data worth `deletedFraction` of the root file
 * system's data, then deletes them with debugfs (which frees blocks without zeroing them).
 */
export function buildReferenceCard(
  dir: string,
  options: PiOsImageOptions & { deletedFraction?: number } = {},
): ReferenceCard {
  const image = buildPiOsImage(dir, options);
  const fraction = options.deletedFraction ?? 0.3;
  const target = `${image.path}?offset=${image.partitions.root.startBytes}`;
  const used = usedExt4Bytes(image.path, image.partitions.root.startBytes);
  const deletedBytes = Math.round((used * fraction) / (1 - fraction) / 4096) * 4096;
  const staging = mkdtempSync(join(dir, 'deleted-'));
  try {
    const fileSize = 256 * 1024;
    const names = Array.from({ length: Math.ceil(deletedBytes / fileSize) }, (_, i) => `/var/tmp-build-${i}`);
    const commands = names.map((name, i) => {
      const local = join(staging, String(i));
      writeFileSync(local, randomBytes(Math.min(fileSize, deletedBytes - i * fileSize)));
      return `write ${local} ${name}`;
    });
    writeFileSync(join(staging, 'write'), `${commands.join('\n')}\n`);
    runTool('debugfs', ['-w', '-f', join(staging, 'write'), target]);
    const deletedBlocks = names.flatMap((name) =>
      runTool('debugfs', ['-R', `blocks ${name}`, target])
        .toString()
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    );
    writeFileSync(join(staging, 'rm'), `${names.map((name) => `rm ${name}`).join('\n')}\n`);
    runTool('debugfs', ['-w', '-f', join(staging, 'rm'), target]);
    return { ...image, sha256: sha256File(image.path), deletedBlocks, deletedBytes };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Bytes the ext4 file system at `offset` has allocated, as its superblock counts them. */
export function usedExt4Bytes(image: string, offset: number): number {
  const header = runTool('dumpe2fs', ['-h', `${image}?offset=${offset}`]).toString();
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(header)?.[1]);
  return (field('Block count') - field('Free blocks')) * field('Block size');
}

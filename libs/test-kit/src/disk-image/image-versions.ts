import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File, type PiOsImage } from './pi-os-image';
import { runTool } from './run-tool';

export interface NextVersionOptions {
  /** File name inside `dir`. */
  name: string;
  /** Share of the image's system files that the new version changes (0-1). */
  changedFraction: number;
}

export interface NextVersion {
  path: string;
  size: number;
  sha256: string;
  /** Root-file-system paths of the files that differ from the previous version. */
  changedFiles: string[];
}

/**
 * The next version of a master image, made the way a maintainer makes one: the previous image's
 * root file system with some files replaced in place (an upgrade of a few packages), everything
 * else where it was. debugfs rewrites the files inside the image file itself, so no loop device
 * or mount is needed; new contents go to free blocks, as on a live system.
 */
export function deriveNextVersion(previous: PiOsImage, dir: string, options: NextVersionOptions): NextVersion {
  // debugfs reads a command line as words: paths with blanks or quotes are left alone.
  const candidates = previous.systemFiles.filter((file) => !/[\s"']/.test(file));
  const count = Math.round(candidates.length * options.changedFraction);
  if (count === 0) throw new Error('deriveNextVersion: the image has no system files to change (systemFilesMiB)');
  // Spread over the whole file system, as an upgrade of unrelated packages would be.
  const step = candidates.length / count;
  const changedFiles = Array.from({ length: count }, (_, i) => candidates[Math.floor(i * step)]);

  const path = join(dir, options.name);
  runTool('cp', ['--sparse=always', previous.path, path]);
  const staging = mkdtempSync(join(dir, 'next-version-'));
  try {
    const commands = changedFiles.flatMap((file, i) => {
      const replacement = join(staging, String(i));
      writeFileSync(replacement, upgraded(readFileSync(file))); // the system file the image copied
      return [`rm ${file}`, `write ${replacement} ${file}`];
    });
    writeFileSync(join(staging, 'commands'), `${commands.join('\n')}\n`);
    runTool('debugfs', [
      '-w',
      '-f',
      join(staging, 'commands'),
      `${path}?offset=${previous.partitions.root.startBytes}`,
    ]);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { path, size: previous.size, sha256: sha256File(path), changedFiles };
}

/** A new build of the same file: mostly the old bytes, a changed header and a little more at the end. */
function upgraded(content: Buffer): Buffer {
  const stamp = createHash('sha256').update(content).digest();
  const head = Buffer.from(content.subarray(0, Math.min(64, content.length)));
  for (let i = 0; i < head.length; i++) head[i] ^= stamp[i % stamp.length];
  return Buffer.concat([head, content.subarray(head.length), stamp]);
}

import { execFile } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import type { PartitionDto } from '@rpi-deploy/contracts';

const run = promisify(execFile);

/** MBR Linux and the GPT Linux file-system and ARM64 root GUIDs. */
const LINUX_TYPES = new Set(['83', '0fc63daf-8483-4772-8e79-3d69d8477de4', 'b921b045-1df0-41c3-af44-4c6f280d3fae']);
/** The ext2/3/4 superblock starts 1024 bytes into the partition; its magic 0xEF53 is at byte 56 of it. */
const SUPERBLOCK_MAGIC_AT = 1024 + 56;
const EXT_MAGIC = 0xef53;
/** debugfs output of a whole root's listings stays well below this. */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

const FILE_TYPE_BITS = 0o170000;
export const REGULAR_FILE = 0o100000;
export const DIRECTORY = 0o040000;
export const SYMLINK = 0o120000;

/** One directory entry as `ls -p` shows it. */
export interface RootEntry {
  path: string;
  /** File type and permission bits, e.g. 0o100644. */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of a regular file, 0 for anything else. */
  size: number;
}

export const typeOf = (entry: RootEntry): number => entry.mode & FILE_TYPE_BITS;

/** The first Linux partition holding an ext2/3/4 file system (its superblock magic read from the file), or undefined. */
export async function findExt4Root(imagePath: string, partitions: PartitionDto[]): Promise<PartitionDto | undefined> {
  const file = await open(imagePath, 'r');
  try {
    for (const partition of partitions.filter((p) => LINUX_TYPES.has(p.type.toLowerCase()))) {
      const magic = Buffer.alloc(2);
      await file.read(magic, 0, 2, partition.startBytes + SUPERBLOCK_MAGIC_AT);
      if (magic.readUInt16LE(0) === EXT_MAGIC) return partition;
    }
    return undefined;
  } finally {
    await file.close();
  }
}

/**
 * Quotes a path for debugfs's command parser (double quotes keep spaces); a path it cannot carry
 * (quotes, line breaks) is refused rather than mangled into another path.
 */
export function quoted(path: string): string {
  if (/["\n\r\\]/.test(path)) throw new Error(`debugfs cannot name the path ${JSON.stringify(path)}`);
  return /\s/.test(path) ? `"${path}"` : path;
}

/**
 * The ext4 root of an image file, read and edited with e2fsprogs' debugfs at the partition's byte
 * offset (`FILE?offset=N`): no loop device, no mount. One debugfs process per batch of commands.
 */
export class RootDebugfs {
  constructor(
    readonly imagePath: string,
    private readonly offset: number,
  ) {}

  private get source(): string {
    return `${this.imagePath}?offset=${this.offset}`;
  }

  /** Runs commands read-only (or with `-w`) and returns each command's output, in order. */
  async run(commands: string[], write = false): Promise<string[]> {
    if (commands.length === 0) return [];
    const child = run('debugfs', [...(write ? ['-w'] : []), '-f', '-', this.source], {
      maxBuffer: MAX_OUTPUT_BYTES,
      encoding: 'utf8',
    });
    child.child.stdin?.end(`${commands.join('\n')}\n`);
    const { stdout } = await child;
    return outputsByCommand(stdout, commands);
  }

  /** Block size, block count and feature flags from the superblock. */
  async stats(): Promise<{ blockSize: number; blockCount: number; features: string[] }> {
    const [output = ''] = await this.run(['stats']);
    return {
      blockSize: Number(/^Block size:\s*(\d+)/m.exec(output)?.[1] ?? 0),
      blockCount: Number(/^Block count:\s*(\d+)/m.exec(output)?.[1] ?? 0),
      features: /^Filesystem features:\s*(.*)$/m.exec(output)?.[1]?.trim().split(/\s+/) ?? [],
    };
  }

  /**
   * Every entry below `roots` down to `depth` levels, one debugfs run per level. A root that does
   * not exist (or is no folder) lists nothing.
   */
  async walk(roots: string[], depth: number): Promise<RootEntry[]> {
    const found: RootEntry[] = [];
    let frontier = roots;
    for (let level = 0; level < depth && frontier.length > 0; level += 1) {
      const outputs = await this.run(frontier.map((dir) => `ls -p ${quoted(dir)}`));
      const next: string[] = [];
      frontier.forEach((dir, index) => {
        for (const entry of parseListing(dir, outputs[index] ?? '')) {
          found.push(entry);
          if (typeOf(entry) === DIRECTORY && !/["\n\r\\]/.test(entry.path)) next.push(entry.path);
        }
      });
      frontier = next;
    }
    return found;
  }

  /**
   * The data blocks an `rm` of each entry would free: those of regular files with one link only
   * (a hard link elsewhere keeps them in use), and of folders. Not of symbolic links: a short
   * one keeps its target inside the inode, which `blocks` would read as block numbers.
   */
  async blocksFreedBy(entries: RootEntry[], blockCount: number): Promise<number[]> {
    const owning = entries.filter((entry) => typeOf(entry) === REGULAR_FILE || typeOf(entry) === DIRECTORY);
    const outputs = await this.run(
      owning.flatMap((entry) => [`stat ${quoted(entry.path)}`, `blocks ${quoted(entry.path)}`]),
    );
    const blocks: number[] = [];
    owning.forEach((entry, index) => {
      const links = Number(/Links:\s*(\d+)/.exec(outputs[index * 2] ?? '')?.[1] ?? 0);
      if (links !== 1 && typeOf(entry) !== DIRECTORY) return;
      const numbers = (outputs[index * 2 + 1] ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
      blocks.push(...numbers.filter((block) => Number.isInteger(block) && block > 0 && block < blockCount));
    });
    return blocks;
  }

  /** Whether each path names anything (file, folder, link). */
  async exists(paths: string[]): Promise<boolean[]> {
    const outputs = await this.run(paths.map((path) => `stat ${quoted(path)}`));
    return outputs.map((output) => /Inode:\s*\d+/.test(output));
  }

  /** Contents of regular files (undefined where missing), dumped to a scratch folder: binary-safe. */
  async readText(paths: string[]): Promise<(string | undefined)[]> {
    const scratch = await mkdtemp(join(tmpdir(), 'rpi-deploy-generalise-'));
    try {
      const outputs = await this.run(
        paths.flatMap((path, index) => [
          `stat ${quoted(path)}`,
          `dump ${quoted(path)} ${join(scratch, String(index))}`,
        ]),
      );
      return await Promise.all(
        paths.map((_path, index) =>
          /Type:\s*regular/.test(outputs[index * 2] ?? '') ? readFile(join(scratch, String(index)), 'utf8') : undefined,
        ),
      );
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
}

/**
 * debugfs -f echoes each command as "debugfs: <command>" before its output: the output of each
 * command, in order.
 */
function outputsByCommand(stdout: string, commands: string[]): string[] {
  const outputs = commands.map(() => '');
  let current = -1;
  for (const line of stdout.replace(/\n$/, '').split('\n')) {
    if (current + 1 < commands.length && line === `debugfs: ${commands[current + 1]}`) current += 1;
    else if (current >= 0) outputs[current] += `${line}\n`;
  }
  return outputs;
}

/** `ls -p` lines, "/inode/mode/uid/gid/name/size/", without . and .. */
function parseListing(dir: string, output: string): RootEntry[] {
  return output
    .split('\n')
    .map((line) => /^\/\d+\/(\d+)\/(\d+)\/(\d+)\/([^/]*)\/(\d*)\/$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null && match[4] !== '.' && match[4] !== '..')
    .map((match) => ({
      path: posix.join(dir, match[4] as string),
      mode: parseInt(match[1] as string, 8),
      uid: Number(match[2]),
      gid: Number(match[3]),
      size: Number(match[5] || 0),
    }));
}

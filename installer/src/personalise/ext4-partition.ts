import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { runProgram } from '../run-program';

export interface Ext4Entry {
  name: string;
  /** File type and permission bits, e.g. 0o100644. */
  mode: number;
  uid: number;
  gid: number;
}

/** What one read-only debugfs run found (see Ext4Partition.snapshot). */
export interface Ext4Snapshot {
  /** The file system's feature flags (debugfs `stats`), e.g. has_journal, needs_recovery. */
  features: string[];
  /** Entries of each directory asked for (without . and ..); undefined where there is no such directory. */
  dirs: Map<string, Ext4Entry[] | undefined>;
  /** Content of each file asked for; undefined where there is no regular file at that path. */
  files: Map<string, Buffer | undefined>;
}

export const REGULAR_FILE = 0o100000;
const FILE_TYPE_BITS = 0o170000;

export function isRegularFile(entry: Ext4Entry): boolean {
  return (entry.mode & FILE_TYPE_BITS) === REGULAR_FILE;
}

/**
 * The ext4 file system of one partition, edited in place with debugfs, without mounting and
 * without copying it out. e2fsprogs (>= 1.43; Debian 12 has 1.47) opens `<device>?offset=<bytes>`,
 * which works on a block device and on an image file alike. Reads and edits are each one debugfs
 * run however many paths they touch: a process start costs more than the work (on a Pi, tens of ms).
 */
export class Ext4Partition {
  constructor(
    private readonly device: string,
    private readonly offset: number,
  ) {}

  private get spec(): string {
    return `${this.device}?offset=${this.offset}`;
  }

  /**
   * Feature flags, directory listings and file contents in one read-only debugfs run. Files are
   * dumped to a scratch folder (binary-safe); a file counts only where its directory lists a
   * regular file of that name (a symlink such as /var/lib/dbus/machine-id is not read through).
   */
  async snapshot(request: { dirs?: string[]; files?: string[] }): Promise<Ext4Snapshot> {
    const files = request.files ?? [];
    const dirs = [...new Set([...(request.dirs ?? []), ...files.map((path) => posix.dirname(path))])];
    const scratch = await mkdtemp(join(tmpdir(), 'pi-installer-ext4-'));
    try {
      const commands = [
        'stats',
        ...dirs.map((dir) => `ls -p ${dir}`),
        ...files.map((path, index) => `dump ${path} ${join(scratch, String(index))}`),
      ];
      const { stdout } = await runProgram('debugfs', ['-f', '-', this.spec], { input: `${commands.join('\n')}\n` });
      const outputs = outputsByCommand(stdout.toString('utf8'), commands);
      const listings = new Map(dirs.map((dir, index) => [dir, parseListing(outputs[1 + index])]));
      const contents = await Promise.all(
        files.map(async (path, index) => {
          const entry = listings.get(posix.dirname(path))?.find((found) => found.name === posix.basename(path));
          return entry && isRegularFile(entry) ? readFile(join(scratch, String(index))) : undefined;
        }),
      );
      return {
        features: /^Filesystem features:\s*(.*)$/m.exec(outputs[0])?.[1].trim().split(/\s+/) ?? [],
        dirs: new Map(request.dirs?.map((dir) => [dir, listings.get(dir)])),
        files: new Map(files.map((path, index) => [path, contents[index]])),
      };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /**
   * Runs debugfs commands read-write in one session. debugfs exits 0 even when a command fails,
   * so callers read back what they changed; the returned text is debugfs's complaints, for their
   * error messages.
   */
  async edit(commands: string[]): Promise<string> {
    const { stderr } = await runProgram('debugfs', ['-w', '-f', '-', this.spec], { input: `${commands.join('\n')}\n` });
    return stderr
      .split('\n')
      .filter((line) => line.trim() && !/^debugfs \d/.test(line))
      .join('; ');
  }
}

/**
 * debugfs -f echoes each command as "debugfs: <command>" before its output: the output of each
 * command, in order. (Only listings and stats are read this way; file contents never pass stdout.)
 */
function outputsByCommand(stdout: string, commands: string[]): string[] {
  const outputs = commands.map(() => '');
  let current = -1;
  for (const line of stdout.split('\n')) {
    if (current + 1 < commands.length && line === `debugfs: ${commands[current + 1]}`) current += 1;
    else if (current >= 0) outputs[current] += `${line}\n`;
  }
  return outputs;
}

/** `ls -p` lines, "/inode/mode/uid/gid/name/size/"; undefined when the directory does not exist (no "." entry). */
function parseListing(output: string): Ext4Entry[] | undefined {
  const entries = output
    .split('\n')
    .map((line) => /^\/\d+\/(\d+)\/(\d+)\/(\d+)\/([^/]*)\/\d*\/$/.exec(line.trim()))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ name: match[4], mode: parseInt(match[1], 8), uid: Number(match[2]), gid: Number(match[3]) }));
  if (!entries.some((entry) => entry.name === '.')) return undefined;
  return entries.filter((entry) => entry.name !== '.' && entry.name !== '..');
}

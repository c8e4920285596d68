import { runProgram } from '../run-program';

export interface Ext4Entry {
  name: string;
  /** File type and permission bits, e.g. 0o100644. */
  mode: number;
  uid: number;
  gid: number;
}

export const REGULAR_FILE = 0o100000;
const FILE_TYPE_BITS = 0o170000;

export function isRegularFile(entry: Ext4Entry): boolean {
  return (entry.mode & FILE_TYPE_BITS) === REGULAR_FILE;
}

/**
 * The ext4 file system of one partition, edited in place with debugfs, without mounting and
 * without copying it out. e2fsprogs (>= 1.43; Debian 12 has 1.47) opens `<device>?offset=<bytes>`,
 * which works on a block device and on an image file alike.
 */
export class Ext4Partition {
  constructor(
    private readonly device: string,
    private readonly offset: number,
  ) {}

  private get spec(): string {
    return `${this.device}?offset=${this.offset}`;
  }

  /** Entries of a directory (without . and ..); undefined when the directory does not exist. */
  async list(dir: string): Promise<Ext4Entry[] | undefined> {
    const { stdout, stderr } = await runProgram('debugfs', ['-R', `ls -p ${dir}`, this.spec]);
    if (/not found/i.test(stderr)) return undefined;
    // One "/inode/mode/uid/gid/name/size/" line per entry.
    return stdout
      .toString('utf8')
      .split('\n')
      .map((line) => /^\/\d+\/(\d+)\/(\d+)\/(\d+)\/([^/]*)\/\d*\/$/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => m !== null && m[4] !== '.' && m[4] !== '..')
      .map((m) => ({ name: m[4], mode: parseInt(m[1], 8), uid: Number(m[2]), gid: Number(m[3]) }));
  }

  async stat(path: string): Promise<Ext4Entry | undefined> {
    const slash = path.lastIndexOf('/');
    return (await this.list(path.slice(0, slash) || '/'))?.find((entry) => entry.name === path.slice(slash + 1));
  }

  /** The content of a regular file; undefined when there is none at `path`. */
  async read(path: string): Promise<Buffer | undefined> {
    const entry = await this.stat(path);
    if (!entry || !isRegularFile(entry)) return undefined;
    return (await runProgram('debugfs', ['-R', `cat ${path}`, this.spec])).stdout;
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

  /** The file system's feature flags (debugfs `stats`), e.g. has_journal, needs_recovery. */
  async features(): Promise<string[]> {
    const { stdout } = await runProgram('debugfs', ['-R', 'stats', this.spec]);
    return /^Filesystem features:\s*(.*)$/m.exec(stdout.toString('utf8'))?.[1].trim().split(/\s+/) ?? [];
  }
}

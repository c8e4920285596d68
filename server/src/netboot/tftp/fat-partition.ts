import { execFile } from 'node:child_process';

/**
 * Reads files from a FAT partition inside a disk image with mtools, without mounting
 * (no root, no loop device): `mtype`/`mcopy -i image@@offset`.
 */
export class FatPartition {
  constructor(
    private readonly imagePath: string,
    private readonly offsetBytes: number,
  ) {}

  /** The file's bytes, or undefined when it does not exist. */
  async read(path: string): Promise<Buffer | undefined> {
    try {
      return await this.mtools('mtype', ['-i', this.image, `::/${path}`]);
    } catch (error) {
      if (/not found|No such file/i.test(String((error as Error).message))) return undefined;
      throw error;
    }
  }

  /** Names (not paths) of the files in a folder; empty when the folder does not exist. */
  async list(folder: string): Promise<string[]> {
    try {
      const output = await this.mtools('mdir', ['-b', '-i', this.image, `::/${folder}`]);
      return output
        .toString('utf8')
        .split('\n')
        .map(
          (line) =>
            line
              .trim()
              .replace(/^::\/?/, '')
              .split('/')
              .pop() ?? '',
        )
        .filter(Boolean);
    } catch {
      return [];
    }
  }

  /** Copies one file out to a path on the host. */
  async copyTo(path: string, destination: string): Promise<void> {
    await this.mtools('mcopy', ['-n', '-o', '-i', this.image, `::/${path}`, destination]);
  }

  private get image(): string {
    return `${this.imagePath}@@${this.offsetBytes}`;
  }

  private mtools(program: string, args: string[]): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      execFile(
        program,
        args,
        // Images made by other tools may have geometries mtools would otherwise refuse.
        { encoding: 'buffer', maxBuffer: 64 << 20, env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const reason =
            (error as NodeJS.ErrnoException).code === 'ENOENT'
              ? `${program} is not installed (Debian: apt install mtools)`
              : stderr.toString('utf8').trim() || error.message;
          reject(new Error(`${program} ${args.at(-1)}: ${reason}`));
        },
      );
    });
  }
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProgram } from '../run-program';

/**
 * The FAT boot partition, read and written with mtools, without mounting. mtools addresses a
 * partition inside a device or an image file as `<device>@@<byte offset>`.
 */
export class FatPartition {
  constructor(
    private readonly device: string,
    private readonly offset: number,
  ) {}

  private get drive(): string {
    return `${this.device}@@${this.offset}`;
  }

  /** Names in the root directory, lower case (FAT compares names without case). */
  async list(): Promise<string[]> {
    const { stdout } = await runProgram('mdir', ['-b', '-i', this.drive, '::']);
    return stdout
      .toString('utf8')
      .split('\n')
      .map((line) => line.trim().replace(/^::\//, '').toLowerCase())
      .filter(Boolean);
  }

  /** A file of the root directory; undefined when there is none. */
  async read(name: string): Promise<Buffer | undefined> {
    if (!(await this.list()).includes(name.toLowerCase())) return undefined;
    return (await runProgram('mtype', ['-i', this.drive, `::${name}`])).stdout;
  }

  /** Creates or replaces a file of the root directory. */
  async write(name: string, content: string): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'pi-installer-fat-'));
    try {
      await writeFile(join(dir, name), content);
      await runProgram('mcopy', ['-o', '-i', this.drive, join(dir, name), `::${name}`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

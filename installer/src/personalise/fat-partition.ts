import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProgram } from '../run-program';

/** mcopy's complaint about a source that is not there; it copies the others and exits 1. */
const NOT_FOUND = /^mcopy: File "::.*" not found$/;

/**
 * The FAT boot partition, read and written with mtools, without mounting. mtools addresses a
 * partition inside a device or an image file as `<device>@@<byte offset>`. Reading several files,
 * or writing them, is one mcopy run.
 */
export class FatPartition {
  constructor(
    private readonly device: string,
    private readonly offset: number,
  ) {}

  private get drive(): string {
    return `${this.device}@@${this.offset}`;
  }

  /** Files of the root directory by name; undefined for those that are not there (FAT names ignore case). */
  async readFiles(names: string[]): Promise<Map<string, Buffer | undefined>> {
    const scratch = await mkdtemp(join(tmpdir(), 'pi-installer-fat-'));
    try {
      const sources = names.map((name) => `::${name}`);
      const { stderr } = await runProgram('mcopy', ['-n', '-i', this.drive, ...sources, `${scratch}/`], {
        exitCodes: [0, 1],
      });
      const problems = stderr.split('\n').filter((line) => line.trim() && !NOT_FOUND.test(line.trim()));
      if (problems.length > 0) throw new Error(`mcopy could not read the boot partition: ${problems.join(' / ')}`);
      const copied = await readdir(scratch);
      const files = await Promise.all(
        names.map(async (name) => {
          const local = copied.find((found) => found.toLowerCase() === name.toLowerCase());
          return local === undefined ? undefined : readFile(join(scratch, local));
        }),
      );
      return new Map(names.map((name, index) => [name, files[index]]));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Creates or replaces files of the root directory. */
  async writeFiles(files: Record<string, string>): Promise<void> {
    const scratch = await mkdtemp(join(tmpdir(), 'pi-installer-fat-'));
    try {
      const locals = await Promise.all(
        Object.entries(files).map(async ([name, content]) => {
          await writeFile(join(scratch, name), content);
          return join(scratch, name);
        }),
      );
      await runProgram('mcopy', ['-o', '-i', this.drive, ...locals, '::']);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
}

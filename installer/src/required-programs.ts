import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { ImageCompression } from '@rpi-deploy/contracts';
import { DECODER_PROGRAMS } from './download/decode';
import { InstallError } from './install-error';
import type { TargetDevice } from './card/target-device';

interface Program {
  name: string;
  debianPackage: string;
}

/** The system tools this install will call, known before the first byte is written. */
export function requiredPrograms(compression: ImageCompression, target: TargetDevice): Program[] {
  const programs: Program[] = [
    { name: 'debugfs', debianPackage: 'e2fsprogs' },
    { name: 'mcopy', debianPackage: 'mtools' },
  ];
  const decoder = DECODER_PROGRAMS[compression];
  if (decoder) programs.push({ name: decoder.program, debianPackage: decoder.debianPackage });
  if (target.kind === 'block-device') {
    programs.push(
      { name: 'blockdev', debianPackage: 'util-linux' },
      { name: 'blkdiscard', debianPackage: 'util-linux' },
    );
  } else {
    programs.push({ name: 'dd', debianPackage: 'coreutils' });
  }
  return programs;
}

/** Fails before anything is written when a tool is missing from PATH, naming what to add to the runtime. */
export async function checkPrograms(programs: Program[]): Promise<void> {
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).filter(Boolean);
  const missing: string[] = [];
  for (const program of programs) {
    const found = await Promise.all(
      dirs.map((dir) =>
        access(join(dir, program.name), constants.X_OK).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (!found.includes(true)) missing.push(`${program.name} (Debian package ${program.debianPackage})`);
  }
  if (missing.length > 0) {
    throw new InstallError(`the installer's runtime lacks ${missing.join(', ')}; nothing was written`);
  }
}

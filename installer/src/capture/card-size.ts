import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InstallError } from '../install-error';
import { deviceNumber, LINUX_SYSTEM_FILES, type SystemFiles } from '../card/target-device';

/**
 * The card's size: a regular file's (tests), or a block device's from sysfs (fstat says 0 for
 * one). Unlike an install's target check this does not mind a write-protected or mounted card:
 * capture only reads.
 */
export async function cardSize(path: string, system: SystemFiles = LINUX_SYSTEM_FILES): Promise<number> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new InstallError(
      error.code === 'ENOENT' ? `no card: ${path} does not exist (is an SD card inserted?)` : error.message,
      'card_missing',
    );
  });
  if (info.isFile()) return info.size;
  if (!info.isBlockDevice()) throw new InstallError(`${path} is neither a block device nor a regular file`);
  const size = Number(await readFile(join(system.sysDevBlock, deviceNumber(info.rdev), 'size'), 'utf8')) * 512;
  if (size === 0) throw new InstallError(`no card: ${path} has no medium`, 'card_missing');
  return size;
}

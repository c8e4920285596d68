import { constants } from 'node:fs';
import { open, readdir, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { InstallError } from '../install-error';
import { describeBytes } from '../units';

/**
 * The card: a block device on a Pi, a regular file in tests. A regular file stands for a card of
 * exactly its size: it must exist and is never grown, so "card too small" means the same for both.
 */
export interface TargetDevice {
  path: string;
  kind: 'block-device' | 'file';
  sizeBytes: number;
}

export interface SystemFiles {
  /** /sys/dev/block: one entry per block device, named "major:minor". */
  sysDevBlock: string;
  mountinfo: string;
}

export const LINUX_SYSTEM_FILES: SystemFiles = { sysDevBlock: '/sys/dev/block', mountinfo: '/proc/self/mountinfo' };

/** Checks that the card is there, writable and not in use, and measures it. */
export async function inspectTarget(path: string, system: SystemFiles = LINUX_SYSTEM_FILES): Promise<TargetDevice> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT')
      throw new InstallError(`no card: ${path} does not exist (is an SD card inserted?)`, 'card_missing');
    throw new InstallError(`cannot examine ${path}: ${error.message}`);
  });
  if (info.isFile()) return { path, kind: 'file', sizeBytes: info.size };
  if (!info.isBlockDevice()) throw new InstallError(`${path} is neither a block device nor a regular file`);

  const sysfs = join(system.sysDevBlock, deviceNumber(info.rdev));
  if (await exists(join(sysfs, 'partition'))) {
    throw new InstallError(
      `${path} is a partition: pass the whole card (e.g. /dev/mmcblk0), not one of its partitions`,
    );
  }
  const sizeBytes = Number(await readFile(join(sysfs, 'size'), 'utf8')) * 512; // sysfs counts 512-byte sectors
  if (sizeBytes === 0)
    throw new InstallError(`no card: ${path} has no medium (size 0; is an SD card inserted?)`, 'card_missing');
  if ((await readFile(join(sysfs, 'ro'), 'utf8')).trim() === '1') {
    throw new InstallError(
      `the card in ${path} is write-protected (read-only); use another card or unlock it`,
      'card_faulty',
    );
  }
  const mounted = mountPointsOf(await readFile(system.mountinfo, 'utf8'), await deviceAndPartitions(sysfs, info.rdev));
  if (mounted.length > 0) {
    throw new InstallError(`${path} is in use: mounted at ${mounted.join(', ')}; unmount it before installing`);
  }
  return { path, kind: 'block-device', sizeBytes };
}

export function checkCapacity(target: TargetDevice, imageSize: number): void {
  if (target.sizeBytes < imageSize) {
    throw new InstallError(
      `card too small: ${target.path} holds ${describeBytes(target.sizeBytes)} < image ${describeBytes(imageSize)}`,
      'card_too_small',
    );
  }
}

/**
 * Opens the card for writing. A block device is opened exclusively (O_EXCL): the kernel refuses
 * while anything has it mounted or claimed, and nothing can mount it while the install runs.
 */
export async function openForWriting(target: TargetDevice): Promise<FileHandle> {
  const flags = constants.O_WRONLY | (target.kind === 'block-device' ? constants.O_EXCL : 0);
  try {
    return await open(target.path, flags);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'EBUSY')
      throw new InstallError(`${target.path} is in use by the system (mounted or claimed); nothing was written`);
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
      throw new InstallError(
        `cannot write to ${target.path} (${code}): the card is read-only or the installer lacks permission`,
      );
    }
    throw new InstallError(`cannot open ${target.path} for writing: ${message}`);
  }
}

/**
 * A second handle on the card for O_DIRECT writes (the first, from openForWriting, keeps the
 * exclusive claim), or undefined where the card or its file system refuses O_DIRECT.
 */
export async function openForDirectWriting(target: TargetDevice): Promise<FileHandle | undefined> {
  return open(target.path, constants.O_WRONLY | constants.O_DIRECT).catch(() => undefined);
}

/** The card opened for O_DIRECT reads, or undefined where that is refused (e.g. some file systems). */
export async function openForDirectReading(path: string): Promise<FileHandle | undefined> {
  return open(path, constants.O_RDONLY | constants.O_DIRECT).catch(() => undefined);
}

/** Mount points in /proc/self/mountinfo whose device ("major:minor", third field) is one of `devices`. */
export function mountPointsOf(mountinfo: string, devices: Set<string>): string[] {
  return mountinfo
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields.length > 4 && devices.has(fields[2]))
    .map((fields) => fields[4].replace(/\\040/g, ' '));
}

/** "major:minor" of the device and of each of its partitions (sysfs subdirectories with a `partition` file). */
async function deviceAndPartitions(sysfs: string, rdev: number): Promise<Set<string>> {
  const devices = new Set([deviceNumber(rdev)]);
  for (const entry of await readdir(sysfs, { withFileTypes: true })) {
    if (!entry.isDirectory() || !(await exists(join(sysfs, entry.name, 'partition')))) continue;
    devices.add((await readFile(join(sysfs, entry.name, 'dev'), 'utf8')).trim());
  }
  return devices;
}

/**
 * What the card's driver offers for bulk zeroing (0 when it does not, or when it cannot be told):
 * `writeZeroesBytes` > 0 means the device zeroes ranges itself (BLKZEROOUT costs no data
 * transfer), `discardBytes` > 0 that it takes discards (TRIM/ERASE).
 */
export async function queueLimits(
  target: TargetDevice,
  system: SystemFiles = LINUX_SYSTEM_FILES,
): Promise<{ writeZeroesBytes: number; discardBytes: number }> {
  if (target.kind !== 'block-device') return { writeZeroesBytes: 0, discardBytes: 0 };
  const queue = join(system.sysDevBlock, deviceNumber((await stat(target.path)).rdev), 'queue');
  const limit = (name: string) =>
    readFile(join(queue, name), 'utf8').then(
      (text) => Number(text.trim()) || 0,
      () => 0,
    );
  return { writeZeroesBytes: await limit('write_zeroes_max_bytes'), discardBytes: await limit('discard_max_bytes') };
}

/** Linux's dev_t encoding (12-bit major, 20-bit minor, split around the low byte). */
export function deviceNumber(rdev: number): string {
  const major = (Math.floor(rdev / 256) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | (Math.floor(rdev / 4096) & ~0xff);
  return `${major}:${minor}`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

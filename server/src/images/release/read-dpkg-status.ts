import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { PartitionDto } from '@rpi-deploy/contracts';
import { parseDpkgStatus, type InstalledPackages } from './dpkg-status';

const run = promisify(execFile);
const STATUS_PATH = '/var/lib/dpkg/status';
/** A full Raspberry Pi OS status file is about 3 MiB; refuse to buffer a runaway one. */
const MAX_STATUS_BYTES = 64 * 1024 * 1024;
/** MBR Linux and the GPT Linux file-system GUID. */
const LINUX_TYPES = new Set(['83', '0fc63daf-8483-4772-8e79-3d69d8477de4']);

/**
 * The installed packages of a stored image, or null when none of its Linux partitions holds
 * a dpkg status file. debugfs (e2fsprogs) reads the ext4 file system at the partition's byte
 * offset inside the image file: no loop device, no mount, nothing written.
 */
export async function readInstalledPackages(
  imagePath: string,
  partitions: PartitionDto[],
): Promise<InstalledPackages | null> {
  for (const partition of partitions.filter((p) => LINUX_TYPES.has(p.type.toLowerCase()))) {
    const source = `${imagePath}?offset=${partition.startBytes}`;
    // `stat` fails (on stderr, exit 0) when the file is missing; only then is `cat` empty for a reason.
    const { stdout: stat } = await run('debugfs', ['-R', `stat ${STATUS_PATH}`, source], {
      maxBuffer: 1024 * 1024,
    }).catch(() => ({ stdout: '' }));
    if (!/Inode:/.test(stat)) continue;
    const { stdout } = await run('debugfs', ['-R', `cat ${STATUS_PATH}`, source], {
      maxBuffer: MAX_STATUS_BYTES,
      encoding: 'utf8',
    });
    return parseDpkgStatus(stdout);
  }
  return null;
}

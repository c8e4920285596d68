import { execFileSync } from 'node:child_process';
import { buildPiOsImage, type PiOsImage } from '@rpi-deploy/test-kit';

/** Tools the image builder and the installer call; checked up front for one clear message. */
const TOOLS = ['sfdisk', 'mkfs.vfat', 'mcopy', 'mdir', 'mtype', 'mkfs.ext4', 'debugfs', 'dd'];

export function assertToolsInstalled(): void {
  const missing = TOOLS.filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(
      `missing programs: ${missing.join(', ')}. Install them with "sudo bash infra/install-system-deps.sh" ` +
        '(Debian packages fdisk, dosfstools, mtools, e2fsprogs, coreutils)',
    );
  }
}

/**
 * A Raspberry-Pi-OS-shaped master image (MBR, FAT32 boot at 4 MiB, ext4 root) built with the
 * same fixture the tests use: mostly free, zero space, so the server's block map makes the
 * units fetch only `dataMiB` and a little file-system metadata.
 */
export function buildDemoImage(dir: string, sizeMiB: number, dataMiB: number): PiOsImage {
  return buildPiOsImage(dir, {
    name: 'kxp2-demo.img',
    sizeMiB,
    hostname: 'kxp2-master',
    randomDataMiB: dataMiB,
  });
}

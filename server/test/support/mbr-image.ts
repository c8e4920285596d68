import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MiB = 1024 * 1024;

export interface TestImage {
  path: string;
  size: number;
  bootStart: number;
  bootSize: number;
  rootStart: number;
}

/**
 * A real MBR disk image like Raspberry Pi OS's: a FAT32 boot partition with config.txt and
 * cmdline.txt, an ext4 root with some files, random data here and there, and lots of zeros.
 */
export function buildMbrImage(dir: string, name = 'test.img', sizeMiB = 96): TestImage {
  const path = join(dir, name);
  const size = sizeMiB * MiB;
  const bootStart = 4 * MiB;
  // FAT32 needs at least 65525 clusters: 40 MiB of 512-byte clusters.
  const bootSize = 40 * MiB;
  const rootStart = bootStart + bootSize;
  execFileSync('truncate', ['-s', String(size), path]);
  execFileSync('sfdisk', ['--quiet', path], {
    input: `label: dos\nstart=${bootStart / 512}, size=${bootSize / 512}, type=c, bootable\nstart=${rootStart / 512}, type=83\n`,
  });
  execFileSync(
    'mkfs.vfat',
    ['-F', '32', '-s', '1', '--offset', String(bootStart / 512), path, String(bootSize / 1024)],
    { stdio: 'ignore' },
  );
  const boot = join(dir, `${name}.boot`);
  mkdirSync(boot, { recursive: true });
  writeFileSync(join(boot, 'config.txt'), 'arm_64bit=1\nkernel=kernel_2712.img\n');
  writeFileSync(
    join(boot, 'cmdline.txt'),
    'console=serial0,115200 root=PARTUUID=0badc0de-02 rootfstype=ext4 rootwait\n',
  );
  writeFileSync(join(boot, 'kernel_2712.img'), randomBytes(600 * 1024));
  execFileSync('mcopy', [
    '-i',
    `${path}@@${bootStart}`,
    join(boot, 'config.txt'),
    join(boot, 'cmdline.txt'),
    join(boot, 'kernel_2712.img'),
    '::/',
  ]);

  const root = join(dir, `${name}.root`);
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/hostname'), 'raspberrypi\n');
  writeFileSync(join(root, 'etc/hosts'), '127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n');
  writeFileSync(join(root, 'etc/machine-id'), `${randomBytes(16).toString('hex')}\n`);
  writeFileSync(join(root, 'data.bin'), randomBytes(3 * MiB));
  const rootKiB = (size - rootStart) / 1024;
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', root, '-E', `offset=${rootStart}`, path, `${rootKiB}k`], {
    stdio: 'ignore',
  });
  return { path, size, bootStart, bootSize, rootStart };
}

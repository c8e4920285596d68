/**
 * Where the running system mounts the FAT boot partition, read from the root file system's
 * /etc/fstab: /boot/firmware on Bookworm and later, /boot before. firstrun.sh and cmdline.txt
 * must name the path the booted system sees.
 */
export function bootMountPoint(fstab: string | undefined): string {
  for (const line of (fstab ?? '').split('\n')) {
    const [, mountPoint, type] = line.trim().split(/\s+/);
    if (
      !line.trim().startsWith('#') &&
      type === 'vfat' &&
      (mountPoint === '/boot/firmware' || mountPoint === '/boot')
    ) {
      return mountPoint;
    }
  }
  return '/boot/firmware';
}

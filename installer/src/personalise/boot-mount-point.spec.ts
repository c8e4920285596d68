import { bootMountPoint } from './boot-mount-point';

describe('bootMountPoint', () => {
  it('reads where the system mounts its FAT boot partition', () => {
    expect(
      bootMountPoint('PARTUUID=1-01  /boot/firmware  vfat  defaults 0 2\nPARTUUID=1-02 / ext4 defaults 0 1\n'),
    ).toBe('/boot/firmware');
    expect(bootMountPoint('PARTUUID=1-01  /boot  vfat  defaults 0 2\n# /boot/firmware vfat\n')).toBe('/boot');
  });

  it('assumes Bookworm (/boot/firmware) when fstab does not say', () => {
    expect(bootMountPoint(undefined)).toBe('/boot/firmware');
    expect(bootMountPoint('#PARTUUID=1-01  /boot  vfat  defaults 0 2\n')).toBe('/boot/firmware');
  });
});

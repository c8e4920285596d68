import { checkPrograms, requiredPrograms } from './required-programs';

describe('required programs', () => {
  it('lists what an install will call, depending on the image and the card', () => {
    const names = (compression: 'none' | 'xz' | 'zstd', kind: 'file' | 'block-device') =>
      requiredPrograms(compression, { path: '/x', kind, sizeBytes: 1 }).map((program) => program.name);
    expect(names('xz', 'block-device')).toEqual(['debugfs', 'mcopy', 'xz', 'blockdev', 'blkdiscard']);
    expect(names('zstd', 'file')).toEqual(['debugfs', 'mcopy', 'zstd', 'dd']);
    expect(names('none', 'file')).toEqual(['debugfs', 'mcopy', 'dd']);
  });

  it('finds installed programs on PATH and names the Debian package of missing ones', async () => {
    await expect(checkPrograms([{ name: 'debugfs', debianPackage: 'e2fsprogs' }])).resolves.toBeUndefined();
    await expect(
      checkPrograms([
        { name: 'debugfs', debianPackage: 'e2fsprogs' },
        { name: 'no-such-tool-xyz', debianPackage: 'xyz-utils' },
      ]),
    ).rejects.toThrow("the installer's runtime lacks no-such-tool-xyz (Debian package xyz-utils); nothing was written");
  });
});

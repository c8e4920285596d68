import { comparePackages, parseDpkgStatus } from './dpkg-status';

const STATUS = `Package: libc6
Status: install ok installed
Architecture: arm64
Multi-Arch: same
Version: 2.36-9+deb12u7
Description: GNU C Library
 shared libraries

Package: libc6
Status: install ok installed
Architecture: armhf
Version: 2.36-9+deb12u7

Package: old-tool
Status: deinstall ok config-files
Version: 1.0

Package: nano
Status: install ok installed
Version: 7.2-1
`;

describe('dpkg status', () => {
  it('lists installed packages only, foreign architectures apart', () => {
    expect(parseDpkgStatus(STATUS)).toEqual({
      libc6: '2.36-9+deb12u7',
      'libc6:armhf': '2.36-9+deb12u7',
      nano: '7.2-1',
    });
    expect(parseDpkgStatus('')).toEqual({});
  });

  it('compares two package lists in Debian version order', () => {
    expect(
      comparePackages({ a: '1.0', b: '2.0~rc1', c: '1:0.1', d: '5' }, { b: '2.0', c: '2.0', d: '5', e: '1' }),
    ).toEqual({
      added: [{ name: 'e', version: '1' }],
      removed: [{ name: 'a', version: '1.0' }],
      upgraded: [{ name: 'b', from: '2.0~rc1', to: '2.0' }],
      downgraded: [{ name: 'c', from: '1:0.1', to: '2.0' }],
      unchanged: 1,
    });
  });
});

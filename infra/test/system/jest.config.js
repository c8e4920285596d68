const preset = require('../../../jest.preset');

/**
 * System tests: the real dnsmasq between network namespaces, the arm64 initramfs under QEMU.
 * They need root and the Debian tools of infra/install-system-deps.sh (npm test installs them).
 */
module.exports = {
  ...preset,
  displayName: 'system',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.system-spec.ts'],
};

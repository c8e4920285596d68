const preset = require('../jest.preset');

/** Unit tests beside the code (src/**\/*.spec.ts) and integration tests against the real server (test/). */
module.exports = {
  projects: [
    { ...preset, displayName: 'server-unit', rootDir: __dirname, testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...preset,
      displayName: 'server-integration',
      rootDir: __dirname,
      testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
    },
  ],
  // Integration suites boot whole servers and move images: give slow CI machines room.
  // (Jest reads the timeout from the top level only, not per project.)
  testTimeout: 60_000,
};

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
      // Each suite boots whole servers: give slow CI machines room.
      testTimeout: 60_000,
    },
  ],
};

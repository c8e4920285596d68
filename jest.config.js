/** Every Jest project of the workspace; `npm test` runs them all in one go. */
module.exports = {
  projects: [
    require('./libs/contracts/jest.config'),
    ...require('./server/jest.config').projects,
    require('./installer/jest.config'),
    require('./infra/test/system/jest.config'),
    '<rootDir>/web',
  ],
  // Per-project timeouts are ignored by Jest: integration suites need this one.
  testTimeout: 60_000,
};

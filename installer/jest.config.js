const preset = require('../jest.preset');

module.exports = {
  ...preset,
  displayName: 'installer',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};

/** Jest for the Angular dashboard: real TestBed in jsdom, zoneless like the app. */
const { createCjsPreset } = require('jest-preset-angular/presets');

module.exports = {
  ...createCjsPreset({ tsconfig: '<rootDir>/tsconfig.spec.json' }),
  displayName: 'web',
  rootDir: __dirname,
  // jest-environment-jsdom is not installed; jest-preset-angular ships its own jsdom environment.
  testEnvironment: 'jest-preset-angular/environments/jest-jsdom-env',
  setupFilesAfterEnv: ['<rootDir>/src/test-setup.ts'],
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  moduleNameMapper: {
    '^@rpi-deploy/contracts$': '<rootDir>/../libs/contracts/src/index.ts',
  },
  restoreMocks: true,
};

/** Settings shared by every Node-side Jest project (server, installer, contracts, system tests). */
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@rpi-deploy/contracts$': path.join(__dirname, 'libs/contracts/src/index.ts'),
    '^@rpi-deploy/test-kit$': path.join(__dirname, 'libs/test-kit/src/index.ts'),
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'server/tsconfig.spec.json') }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
};

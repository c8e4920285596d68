#!/usr/bin/env node
// `rpi-deploy`, the operator command line (a bin of the root package: `npx rpi-deploy --help`).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '../../dist/server/cli/main.js');
if (!existsSync(cli)) {
  console.error('rpi-deploy is not built yet: run `npx nx build server` (or `npm start` once) first');
  process.exit(1);
}
require(cli)
  .runCli(process.argv.slice(2))
  .then((code) => process.exit(code));

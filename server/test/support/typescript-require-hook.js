// Lets a child process run the server's TypeScript sources, as the parent does under the test
// runner (download-pool.ts forks download-worker.ts this way). The compiled server never loads it.
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const ts = require('typescript');

const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };

Module._extensions['.ts'] = (module, filename) => {
  const source = readFileSync(filename, 'utf8');
  module._compile(ts.transpileModule(source, { compilerOptions, fileName: filename }).outputText, filename);
};

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { makeWorkDir } from '../test/support/work-dir';

const work = makeWorkDir('exit-guard');
afterAll(() => work.remove());

/** Runs a small program that installs the guard, then either settles or waits on a promise nothing will resolve. */
function runProgram(settles: boolean): { status: number | null; stderr: string } {
  const entry = join(work.path, `guarded-${settles}.ts`);
  writeFileSync(
    entry,
    `import { failIfAbandoned } from ${JSON.stringify(resolve(__dirname, 'exit-guard'))};
let settled = false;
failIfAbandoned(() => settled, 1);
${settles ? 'Promise.resolve().then(() => (settled = true));' : 'new Promise(() => undefined).then(() => (settled = true));'}
`,
  );
  const bundle = entry.replace(/\.ts$/, '.js');
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', outfile: bundle, logLevel: 'error' });
  const result = spawnSync(process.execPath, [bundle], { encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stderr: result.stderr };
}

describe('failIfAbandoned', () => {
  it('turns an exit with the work still pending into a failure that says so', () => {
    const run = runProgram(false);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('pi-installer: internal error: the install stopped with its work unfinished');
  });

  it('lets a settled install end as it chose', () => {
    expect(runProgram(true)).toEqual({ status: 0, stderr: '' });
  });
});

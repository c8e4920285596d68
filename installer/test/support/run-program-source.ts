import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { makeWorkDir } from './work-dir';

/**
 * Bundles a small TypeScript program and runs it in a Node process of its own, for behaviour only
 * a whole process shows (when Node exits, and with which code). `imports` maps names to installer
 * modules (paths relative to installer/src), which the source may then use.
 */
export function runProgramSource(
  imports: Record<string, string>,
  source: string,
): { status: number | null; stdout: string; stderr: string } {
  const work = makeWorkDir('program');
  try {
    const header = Object.entries(imports)
      .map(([name, module]) => `import { ${name} } from ${JSON.stringify(resolve(__dirname, '../../src', module))};`)
      .join('\n');
    const entry = join(work.path, 'program.ts');
    writeFileSync(entry, `${header}\n${source}`);
    const bundle = join(work.path, 'program.js');
    buildSync({ entryPoints: [entry], bundle: true, platform: 'node', outfile: bundle, logLevel: 'error' });
    const result = spawnSync(process.execPath, [bundle], { encoding: 'utf8', timeout: 20_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  } finally {
    work.remove();
  }
}

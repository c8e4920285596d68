import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { runCli } from '../../src/cli/main';
import type { CliOutput } from '../../src/cli/output';

/** Runs `rpi-deploy ARGS` in-process and keeps what it printed. */
export async function cli(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const output: CliOutput = { out: (text) => (stdout += `${text}\n`), err: (text) => (stderr += `${text}\n`) };
  const code = await runCli(args, output, env);
  return { code, stdout, stderr };
}

const CLI_SOURCE = resolve(__dirname, '../../src/cli/main.ts');
const TYPESCRIPT_HOOK = resolve(__dirname, 'typescript-require-hook.js');

/**
 * Runs `rpi-deploy ARGS` as its own process (from the TypeScript sources, as the built bin runs
 * dist), with only the given environment on top of PATH: what an operator's shell does.
 */
export function cliProcess(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      ['--require', TYPESCRIPT_HOOK, CLI_SOURCE, ...args],
      { env: { PATH: process.env['PATH'], ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0;
        if (typeof code !== 'number') return fail(error);
        done({ code, stdout, stderr });
      },
    );
  });
}

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

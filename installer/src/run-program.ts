import { spawn } from 'node:child_process';

export interface ProgramResult {
  stdout: Buffer;
  stderr: string;
}

/** Thrown when a program cannot start or exits with a code not accepted; the message carries its stderr. */
export class ProgramError extends Error {
  override readonly name = 'ProgramError';
}

/**
 * Runs a system tool (debugfs, mtools, blockdev, ...) without a shell and collects its output.
 * MTOOLS_SKIP_CHECK lets mtools work on file systems whose geometry it would otherwise second-guess;
 * LC_ALL=C keeps tool output parseable.
 */
export function runProgram(
  program: string,
  args: string[],
  options: {
    input?: string | Buffer;
    /** Exit codes that count as success (default: 0 only). */
    exitCodes?: number[];
  } = {},
): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, MTOOLS_SKIP_CHECK: '1', LC_ALL: 'C' },
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        new ProgramError(error.code === 'ENOENT' ? `${program} is not installed` : `${program}: ${error.message}`),
      );
    });
    child.on('close', (code, signal) => {
      const errors = Buffer.concat(stderr).toString('utf8').trim();
      if (code !== null && (options.exitCodes ?? [0]).includes(code))
        return resolve({ stdout: Buffer.concat(stdout), stderr: errors });
      const how = signal ? `killed by ${signal}` : `exit code ${code}`;
      reject(new ProgramError(`${program} ${args.join(' ')} failed (${how})${errors ? `: ${lastLines(errors)}` : ''}`));
    });
    child.stdin.on('error', () => undefined); // a tool that exits early closes its stdin; its exit code tells the story
    child.stdin.end(options.input);
  });
}

function lastLines(text: string, count = 3): string {
  return text.split('\n').slice(-count).join(' / ');
}

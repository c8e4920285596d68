import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

/**
 * Runs the program under a small Node parent that stops it (SIGTERM) when the demo goes away,
 * even by SIGKILL: the demo holds the leash's stdin, and the kernel closes that pipe when the
 * demo dies, so no orphaned server keeps the ports for the next run. SIGTERM to the leash is
 * passed on; SIGINT is not, because Ctrl-C in a terminal reaches the server itself already.
 */
const LEASH = `
const child = require('node:child_process').spawn(process.execPath, process.argv.slice(1), { stdio: 'inherit' });
const stop = () => child.kill('SIGTERM');
process.stdin.on('end', stop).on('error', stop).resume();
process.on('SIGTERM', stop);
process.on('SIGINT', () => undefined);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
`;

export function spawnLeashed(
  args: string[],
  options: { env: NodeJS.ProcessEnv; stdio: [number, number] },
): ChildProcess {
  const stdio: StdioOptions = ['pipe', ...options.stdio];
  return spawn(process.execPath, ['-e', LEASH, ...args], { env: options.env, stdio });
}

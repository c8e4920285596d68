import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const BUNDLE = resolve(__dirname, '../../../dist/installer/pi-installer.js');
/**
 * The Node that runs the bundle: this one, or INSTALLER_TEST_NODE (e.g. a Node 18 binary, the
 * oldest the Pis run) to check the bundle on another version.
 */
const NODE = process.env.INSTALLER_TEST_NODE ?? process.execPath;

export interface InstallerRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for messages that may go to either. */
  output: string;
}

/** Runs the real bundle (`node dist/installer/pi-installer.js ...`) as a child process, as a Pi would; `node` picks the Node. */
export function runInstaller(args: string[], timeoutMs = 90_000, node = NODE): Promise<InstallerRun> {
  return new Promise((done, fail) => {
    const child = spawn(node, [BUNDLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`the installer did not finish within ${timeoutMs / 1000} s:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, output: `${stdout}\n${stderr}` });
    });
  });
}

/** Fails with the installer's whole output when it did not exit with `code`. */
export function expectExit(run: InstallerRun, code: number): void {
  if (run.code !== code) throw new Error(`expected exit code ${code}, got ${run.code}:\n${run.output}`);
}

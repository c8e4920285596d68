import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { waitForHealthy } from '@rpi-deploy/test-kit';

export const BUILT_SERVER = resolve(__dirname, '../../../dist/server/main.js');

export interface ServerProcess {
  child: ChildProcess;
  management: string;
  deployment: string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

/** The real built server (dist/server/main.js) as a child process, for crash and restart tests. */
export async function spawnServer(
  env: Record<string, string>,
  ports: { management: number; deployment: number },
  startTimeoutMs = 30_000,
): Promise<ServerProcess> {
  if (!existsSync(BUILT_SERVER)) throw new Error(`${BUILT_SERVER} is missing: run \`npx nx build server\` first`);
  const child = spawn(process.execPath, [BUILT_SERVER], {
    env: {
      ...process.env,
      MGMT_HOST: '127.0.0.1',
      MGMT_PORT: String(ports.management),
      DEPLOY_HOST: '127.0.0.1',
      DEPLOY_PORT: String(ports.deployment),
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  child.stdout!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const management = `http://127.0.0.1:${ports.management}`;
  await waitForHealthy(`${management}/api/health`, {
    timeoutMs: startTimeoutMs,
    intervalMs: 100,
    failIf: () => (child.exitCode !== null ? `the server exited with ${child.exitCode}: ${stderr}` : undefined),
    lastSeen: async () => stderr,
  });
  return { child, management, deployment: `http://127.0.0.1:${ports.deployment}`, exited };
}

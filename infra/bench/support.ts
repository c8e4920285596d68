import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoginResponse } from '@rpi-deploy/contracts';
import { freePort, waitForHealthy, workspaceRoot } from '@rpi-deploy/test-kit';

export const ROOT = workspaceRoot();

export interface BenchServer {
  management: string;
  deployment: string;
  dataDir: string;
  token: string;
  /** The server process, for its CPU time. */
  pid: number;
  ports: { management: number; deployment: number };
  stop(): Promise<void>;
}

/**
 * The real built server (dist/server) as its own process, on free loopback ports; its deployment
 * listener on `deployHost` instead when given (the server end of a shaped link, say).
 */
export async function startServer(env: Record<string, string> = {}, deployHost = '127.0.0.1'): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rpi-bench-'));
  const [mgmt, deploy] = [await freePort(), await freePort()];
  const password = 'bench-admin-password';
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'dist/server/main.js')], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      MGMT_HOST: '127.0.0.1',
      MGMT_PORT: String(mgmt),
      DEPLOY_HOST: deployHost,
      DEPLOY_PORT: String(deploy),
      ADMIN_PASSWORD: password,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const management = `http://127.0.0.1:${mgmt}`;
  await waitForHealthy(`${management}/api/health`);
  const login = (await (
    await fetch(`${management}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    })
  ).json()) as LoginResponse;
  return {
    management,
    deployment: `http://${deployHost}:${deploy}`,
    dataDir,
    token: login.accessToken,
    pid: child.pid!,
    ports: { management: mgmt, deployment: deploy },
    stop: () =>
      new Promise((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** Runs a program, resolving with its stdout. */
export function run(command: string, args: string[]): Promise<string> {
  return new Promise((done, fail) =>
    execFile(command, args, { maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      error ? fail(new Error(`${command} failed: ${stderr || error.message}`)) : done(stdout),
    ),
  );
}

/** The middle of several rounds, as the benchmarks report them (this machine is shared). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

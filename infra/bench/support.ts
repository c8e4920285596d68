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
  /** The server process, for its CPU time in /proc. */
  pid: number;
  ports: { management: number; deployment: number };
  stop(): Promise<void>;
}

/** Where the server process runs: another network namespace, with its management listener there. */
export interface ServerPlacement {
  managementHost: string;
  /** The command line that runs `command` there (e.g. `ip netns exec`, which keeps the process id). */
  wrap(command: string, args: string[]): [string, string[]];
}

/**
 * The real built server (dist/server) as its own process, on free loopback ports; its deployment
 * listener on `deployHost` instead when given (the server end of a shaped link, say), and the
 * whole process elsewhere with `placement`.
 */
export async function startServer(
  env: Record<string, string> = {},
  deployHost = '127.0.0.1',
  placement?: ServerPlacement,
): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rpi-bench-'));
  const [mgmt, deploy] = [await freePort(), await freePort()];
  const password = 'bench-admin-password';
  const managementHost = placement?.managementHost ?? '127.0.0.1';
  // BENCH_SERVER_NODE_ARGS: node options for the server processes only, e.g. `--cpu-prof --cpu-prof-dir=tmp/prof`.
  const main = [
    ...(process.env['BENCH_SERVER_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
    join(ROOT, 'dist/server/main.js'),
  ];
  const [command, args] = placement ? placement.wrap(process.execPath, main) : [process.execPath, main];
  const child: ChildProcess = spawn(command, args, {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      MGMT_HOST: managementHost,
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
  const management = `http://${managementHost}:${mgmt}`;
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

/** A management API call as the admin; anything but 2xx throws with the server's answer. */
export async function post(server: BenchServer, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${server.management}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
}

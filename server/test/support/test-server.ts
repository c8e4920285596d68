import { ConsoleLogger } from '@nestjs/common';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LoginResponse } from '@rpi-deploy/contracts';
import { startServer, type RunningServer } from '../../src/app/start-server';
import { loadConfig } from '../../src/config/load-config';

export const ADMIN_PASSWORD = 'integration-admin-pw';
export const BUILT_WEB_ROOT = process.env['TEST_WEB_ROOT'] ?? resolve(__dirname, '../../../dist/web/browser');

/** Keeps what the server logged, so tests can assert on it (and the output stays quiet). */
export class CapturingLogger extends ConsoleLogger {
  readonly lines: string[] = [];
  constructor() {
    super('test', { logLevels: ['fatal', 'error', 'warn', 'log'] });
  }
  protected override printMessages(messages: unknown[], context = '', logLevel = 'log'): void {
    for (const message of messages) {
      this.lines.push(`${logLevel} [${context}] ${String(message)}`);
      if (process.env.DEBUG_CLUSTER)
        process.stderr.write(`${logLevel} [${context}] ${String(message)} ${(message as Error).stack ?? ''}\n`);
    }
  }
}

export interface TestServer {
  server: RunningServer;
  management: string;
  deployment: string;
  dataDir: string;
  logger: CapturingLogger;
  close(options?: { keepData?: boolean }): Promise<void>;
}

/** Boots the real server on free loopback ports with a temporary DATA_DIR. */
export async function bootTestServer(
  env: Record<string, string | undefined> = {},
  dataDir = mkdtempSync(join(tmpdir(), 'rpi-deploy-test-')),
): Promise<TestServer> {
  if (!existsSync(join(BUILT_WEB_ROOT, 'index.html'))) {
    throw new Error(`The dashboard is not built (${BUILT_WEB_ROOT}): run \`npx nx build web\` first`);
  }
  const config = loadConfig({
    DATA_DIR: dataDir,
    MGMT_HOST: '127.0.0.1',
    MGMT_PORT: '0',
    DEPLOY_HOST: '127.0.0.1',
    DEPLOY_PORT: '0',
    ADMIN_PASSWORD,
    LOG_FORMAT: 'json',
    WEB_ROOT: BUILT_WEB_ROOT,
    ...env,
  });
  const logger = new CapturingLogger();
  const server = await startServer(config, { logger });
  return {
    server,
    management: `http://127.0.0.1:${server.managementPort}`,
    deployment: `http://127.0.0.1:${server.deploymentPort}`,
    dataDir,
    logger,
    async close(options = {}) {
      await server.close();
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function login(baseUrl: string, username: string, password: string): Promise<LoginResponse> {
  const response = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200) throw new Error(`login ${username}: ${response.status} ${await response.text()}`);
  return (await response.json()) as LoginResponse;
}

/** fetch() with JSON in and out and an optional bearer token. */
export async function api(
  baseUrl: string,
  path: string,
  options: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

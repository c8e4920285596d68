import { defineConfig, devices } from '@playwright/test';
import { join } from 'node:path';

/**
 * Browser tests against the real built server (dist/server + dist/web) on a fresh data folder,
 * in Debian's chromium (`playwright install` cannot download browsers here).
 */
const root = join(__dirname, '..');
const managementPort = Number(process.env['E2E_MGMT_PORT'] ?? 5310);
const deploymentPort = Number(process.env['E2E_DEPLOY_PORT'] ?? 5311);
const dataDir = `tmp/e2e-data-${managementPort}`;
export const E2E_ADMIN_PASSWORD = 'e2e-admin-password';
/** The deployment listener, where the simulated units talk to the server like real installers. */
export const E2E_DEPLOY_URL = `http://127.0.0.1:${deploymentPort}`;

/** The environment of every server the suites start: the shared one below and a test's own (support/own-server.ts). */
export function e2eServerEnv(ports: {
  dataDir: string;
  management: number;
  deployment: number;
}): Record<string, string> {
  return {
    DATA_DIR: ports.dataDir,
    MGMT_HOST: '127.0.0.1',
    MGMT_PORT: String(ports.management),
    DEPLOY_HOST: '127.0.0.1',
    DEPLOY_PORT: String(ports.deployment),
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: E2E_ADMIN_PASSWORD,
    LOG_FORMAT: 'json',
    // The suites sign in many times a minute; the default limit of 10 is for people.
    LOGIN_ATTEMPTS_PER_MINUTE: '200',
  };
}

export default defineConfig({
  testDir: './tests',
  outputDir: join(root, 'tmp/e2e-results'),
  fullyParallel: false,
  forbidOnly: !!process.env['CI'],
  retries: 0,
  workers: 1,
  timeout: 30_000,
  reporter: process.env['PLAYWRIGHT_JSON_OUTPUT_NAME'] ? [['list'], ['json']] : [['list']],
  use: {
    baseURL: `http://127.0.0.1:${managementPort}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-dev-shm-usage',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
          ],
        },
      },
    },
  ],
  webServer: {
    // One data folder per port, so two runs on one machine (other ports) do not share or wipe it.
    command: `rm -rf ${dataDir} && node dist/server/main.js`,
    cwd: root,
    url: `http://127.0.0.1:${managementPort}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: e2eServerEnv({ dataDir, management: managementPort, deployment: deploymentPort }),
  },
});

import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForHealthy } from '@rpi-deploy/test-kit';
import { e2eServerEnv } from '../../playwright.config';

const ROOT = join(__dirname, '..', '..', '..');

/**
 * A second built server of the test's own, on its own ports and data folder, which the test may
 * stop and start again (the shared one belongs to every suite and must stay up).
 */
export class OwnServer {
  private process: ChildProcess | null = null;
  readonly dataDir: string;

  private constructor(
    readonly managementPort: number,
    readonly deploymentPort: number,
  ) {
    this.dataDir = join(ROOT, 'tmp', `e2e-own-server-${managementPort}`);
  }

  static async create(): Promise<OwnServer> {
    const server = new OwnServer(await freePort(), await freePort());
    rmSync(server.dataDir, { recursive: true, force: true });
    return server;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.managementPort}`;
  }

  get deployUrl(): string {
    return `http://127.0.0.1:${this.deploymentPort}`;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['dist/server/main.js'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        ...e2eServerEnv({ dataDir: this.dataDir, management: this.managementPort, deployment: this.deploymentPort }),
      },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.process = child;
    await waitForHealthy(`${this.origin}/api/health`, {
      intervalMs: 250,
      failIf: () => (child.exitCode !== null ? `the server exited with ${child.exitCode}: ${stderr}` : undefined),
      lastSeen: async () => stderr,
    });
  }

  /** Stops the server as systemd would (SIGTERM) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

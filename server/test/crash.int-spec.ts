import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigResponse, DeploymentDetailDto } from '@rpi-deploy/contracts';
import { freePort } from '@rpi-deploy/test-kit';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { SQLITE_FILE_NAME } from '../src/database/typeorm-options';
import { spawnServer, type ServerProcess } from './support/server-process';
import { api, login } from './support/test-server';

const DEVICES = 40;

/** The server killed with SIGKILL under load loses no acknowledged event, and its database opens cleanly. */
describe('a server killed with SIGKILL under load', () => {
  let dataDir: string;
  let server: ServerProcess | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'crash-test-'));
  });
  afterAll(() => {
    server?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged status report', async () => {
    const ports = { management: await freePort(), deployment: await freePort() };
    const env = { DATA_DIR: dataDir, ADMIN_PASSWORD: 'crash-admin-password' };
    server = await spawnServer(env, ports);
    const { accessToken: token } = await login(server.management, 'admin', 'crash-admin-password');
    await api(server.management, '/api/venues', { method: 'POST', token, body: { code: 'BOOM', name: 'Crash' } });
    await api(server.management, '/api/venues/BOOM/karts', { method: 'POST', token, body: { from: 1, to: DEVICES } });
    const file = join(dataDir, 'tiny.img');
    writeFileSync(file, randomBytes(64 * 1024));
    const image = await uploadMultipart({
      url: `${server.management}/api/images`,
      token,
      fields: { product: 'KXP2', version: '1' },
      filePath: file,
    });
    await api(server.management, `/api/images/${(image.body as { id: number }).id}/activate`, {
      method: 'POST',
      token,
    });

    const acknowledged = new Map<string, number[]>();
    let running = true;
    let configured = 0;
    let allConfigured!: () => void;
    const everyoneConfigured = new Promise<void>((resolve) => (allConfigured = resolve));
    const device = async (n: number) => {
      const serial = `30000000${n.toString(16).padStart(8, '0')}`;
      const mac = `02:00:00:00:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;
      const config = await api(server!.deployment, '/api/config', {
        method: 'POST',
        body: { serial, mac, product: 'KXP2', venue: 'BOOM' },
      });
      const { deploymentId, statusToken } = config.body as ConfigResponse;
      acknowledged.set(deploymentId, []);
      if ((configured += 1) === DEVICES) allConfigured();
      for (let progress = 1; running && progress < 100; progress += 1) {
        try {
          const response = await api(server!.deployment, '/api/status', {
            method: 'POST',
            body: { deploymentId, status: 'downloading', progress },
            headers: { authorization: `Bearer ${statusToken}` },
          });
          if (response.status === 200) acknowledged.get(deploymentId)!.push(progress);
        } catch {
          return; // the server is gone
        }
      }
    };
    const load = Promise.all(Array.from({ length: DEVICES }, (_, n) => device(n)));
    // Every unit has its deployment; then reports flow for a while before the kill.
    await everyoneConfigured;
    await new Promise((r) => setTimeout(r, 1500));
    server.child.kill('SIGKILL');
    await server.exited;
    running = false;
    await load;

    const total = [...acknowledged.values()].reduce((sum, list) => sum + list.length, 0);
    expect(acknowledged.size).toBe(DEVICES);
    expect(total).toBeGreaterThan(DEVICES);

    // The database file is consistent before the server even touches it again.
    const db = new Database(join(dataDir, SQLITE_FILE_NAME));
    expect(db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    db.close();

    server = await spawnServer(env, ports);
    const { accessToken } = await login(server.management, 'admin', 'crash-admin-password');
    let found = 0;
    for (const [id, progresses] of acknowledged) {
      const detail = (await api(server.management, `/api/deployments/${id}`, { token: accessToken }))
        .body as DeploymentDetailDto;
      const stored = new Set(detail.events.filter((e) => e.status === 'downloading').map((e) => e.progress));
      for (const progress of progresses) {
        expect(stored.has(progress)).toBe(true);
        found += 1;
      }
    }
    expect(found).toBe(total);
    process.stdout.write(
      `[crash] ${DEVICES} devices, ${total} acknowledged reports before SIGKILL, all ${found} found after restart\n`,
    );
    server.child.kill('SIGTERM');
    await server.exited;
    server = undefined;
  });
});

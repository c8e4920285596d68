import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootTestServer, login } from './support/test-server';

describe('first start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rpi-deploy-first-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('generates the admin password, prints it once, and keeps it across restarts', async () => {
    const first = await bootTestServer({ ADMIN_PASSWORD: undefined, ADMIN_USERNAME: 'chief' }, dataDir);
    const announcements = first.logger.lines.filter((line) => line.includes('generated password'));
    expect(announcements).toHaveLength(1);
    const password = /generated password: (\S+)/.exec(announcements[0])![1];
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect((await login(first.management, 'chief', password)).user).toEqual({ username: 'chief', role: 'admin' });
    await first.close({ keepData: true });

    const second = await bootTestServer({ ADMIN_PASSWORD: undefined, ADMIN_USERNAME: 'chief' }, dataDir);
    try {
      expect(second.logger.lines.join('\n')).not.toContain(password);
      expect(second.logger.lines.some((line) => line.includes('Created the initial admin'))).toBe(false);
      await expect(login(second.management, 'chief', password)).resolves.toBeDefined();
    } finally {
      await second.close({ keepData: true });
    }
  });

  it('keeps the token secret private to the service', () => {
    expect(statSync(join(dataDir, 'secrets', 'jwt-secret')).mode & 0o777).toBe(0o600);
  });

  it('closes both listeners on shutdown', async () => {
    const server = await bootTestServer({}, dataDir);
    const urls = [`${server.management}/api/health`, `${server.deployment}/health`];
    expect((await Promise.all(urls.map((url) => fetch(url)))).map((r) => r.status)).toEqual([200, 200]);
    await server.close({ keepData: true });
    for (const url of urls) await expect(fetch(url)).rejects.toThrow();
  });
});

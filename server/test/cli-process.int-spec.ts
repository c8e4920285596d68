import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigResponse, ImageDto } from '@rpi-deploy/contracts';
import { cliProcess } from './support/run-cli';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';

const STRONG_PASSWORD = 'correct-horse-battery-7';
const NEXT_PASSWORD = 'staple-lantern-orbit-42';

// Every command runs as its own process, transpiled from the sources on start.
jest.setTimeout(600_000);

/** What the dashboard does, done with the real `rpi-deploy` process against a real server. */
describe('rpi-deploy as a process: images, users, hostnames, venues, deployments', () => {
  let t: TestServer;
  let work: string;
  let env: Record<string, string>;
  const run = (...args: string[]) => cliProcess(['--user', 'admin', ...args], env);
  const json = async (...args: string[]) => {
    const result = await run('--json', ...args);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(result.stdout);
  };

  beforeAll(async () => {
    t = await bootTestServer();
    work = mkdtempSync(join(tmpdir(), 'cli-process-'));
    env = { RPI_DEPLOY_URL: t.management, RPI_DEPLOY_PASSWORD: ADMIN_PASSWORD };
  });
  afterAll(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('uploads, shows, activates, rolls back and deletes images', async () => {
    const uploads: ImageDto[] = [];
    for (const version of ['1.0.0', '1.1.0']) {
      const file = join(work, `${version}.img`);
      writeFileSync(file, randomBytes(1024 * 1024));
      uploads.push(await json('image', 'upload', file, '--product', 'KXP2', '--version', version, '--activate'));
    }
    const [first, second] = uploads as [ImageDto, ImageDto];
    expect(second).toMatchObject({ version: '1.1.0', active: true, size: 1024 * 1024 });

    const shown = await run('image', 'show', String(second.id));
    expect(shown.stdout).toContain(`Image ${second.id}: KXP2 1.1.0 (active)`);
    expect(shown.stdout).toContain(`sha256       ${second.sha256}`);

    const rollback = await run('image', 'rollback', '--product', 'KXP2');
    expect(rollback.stdout).toBe(`Rolled back: KXP2 1.0.0 (image ${first.id}) is active again\n`);
    expect(await json('image', 'show', String(first.id))).toMatchObject({ active: true });

    const activeDelete = await run('image', 'delete', String(first.id));
    expect(activeDelete.code).toBe(1);
    expect(activeDelete.stderr).toMatch(/^rpi-deploy: .*active.* \(HTTP 409\)\n$/);
    expect((await run('image', 'delete', String(second.id))).stdout).toBe(`Deleted image ${second.id}\n`);
    expect((await json('image', 'list')).map((i: ImageDto) => i.id)).toEqual([first.id]);
    expect((await run('image', 'activate', String(first.id))).stdout).toBe(
      `KXP2 1.0.0 (image ${first.id}) is now active\n`,
    );
    const missing = await run('image', 'show', '999');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\(HTTP 404\)/);
  });

  it('adds users, changes their role, disables, enables and sets their password', async () => {
    expect((await run('user', 'add', 'alice', '--role', 'operator', '--new-password', STRONG_PASSWORD)).stdout).toBe(
      'Created alice: operator\n',
    );
    expect(await json('user', 'list')).toEqual(
      expect.arrayContaining([expect.objectContaining({ username: 'alice', role: 'operator', disabled: false })]),
    );
    expect((await run('user', 'set-role', 'alice', 'viewer')).stdout).toBe('Updated alice: viewer\n');
    expect((await run('user', 'disable', 'alice')).stdout).toBe('Updated alice: viewer, disabled\n');
    await expect(login(t.management, 'alice', STRONG_PASSWORD)).rejects.toThrow(/login alice: 401/);
    expect((await run('user', 'enable', 'alice')).stdout).toBe('Updated alice: viewer\n');
    const viaEnv = await cliProcess(['--user', 'admin', 'user', 'set-password', 'alice'], {
      ...env,
      RPI_DEPLOY_NEW_PASSWORD: NEXT_PASSWORD,
    });
    expect(viaEnv.stdout).toBe('New password for alice: viewer\n');
    expect((await login(t.management, 'alice', NEXT_PASSWORD)).user).toEqual({ username: 'alice', role: 'viewer' });

    const badRole = await run('user', 'set-role', 'alice', 'boss');
    expect(badRole).toMatchObject({
      code: 1,
      stderr: 'rpi-deploy: Unknown role "boss": give one of viewer, operator, admin\n',
    });
    const noPassword = await run('user', 'add', 'bob', '--role', 'viewer');
    expect(noPassword.stderr).toBe(
      'rpi-deploy: No password given: pass --new-password or set RPI_DEPLOY_NEW_PASSWORD\n',
    );
    // A viewer may not administer users: the server's refusal is passed on.
    const asViewer = await cliProcess(['--user', 'alice', 'user', 'list'], {
      RPI_DEPLOY_URL: t.management,
      RPI_DEPLOY_PASSWORD: NEXT_PASSWORD,
    });
    expect(asViewer.code).toBe(1);
    expect(asViewer.stderr).toMatch(/\(HTTP 403\)/);
  });

  it('updates venues, releases and retires hostnames, and shows, counts and exports deployments', async () => {
    await run('venue', 'create', 'CORO', 'Corona');
    expect((await run('venue', 'update', 'coro', '--location', 'Kerpen', '--email', 'o@example.com')).stdout).toBe(
      'Updated venue CORO (Corona)\n',
    );
    expect(await json('venue', 'list')).toEqual([
      expect.objectContaining({ code: 'CORO', location: 'Kerpen', contactEmail: 'o@example.com' }),
    ]);
    expect((await run('venue', 'update', 'CORO')).stderr).toBe(
      'rpi-deploy: Nothing to change: give --name, --location and/or --email\n',
    );
    await run('karts', 'import', 'CORO', '--from', '1', '--to', '5');

    const deployed: ConfigResponse[] = [];
    for (const n of [1, 2]) {
      const answer = await api(t.deployment, '/api/config', {
        method: 'POST',
        body: { serial: `4000000${n}`.padEnd(16, '0'), mac: `2c:cf:67:02:00:0${n}`, product: 'KXP2', venue: 'CORO' },
      });
      deployed.push(answer.body as ConfigResponse);
    }
    const [done, other] = deployed as [ConfigResponse, ConfigResponse];
    for (const status of ['downloading', 'verifying', 'customizing', 'success']) {
      const answer = await api(t.deployment, '/api/status', {
        method: 'POST',
        body: { deploymentId: done.deploymentId, status, message: status === 'success' ? 'ready' : undefined },
        headers: { authorization: `Bearer ${done.statusToken}` },
      });
      expect([status, answer.status, answer.body]).toEqual([status, 200, { received: true }]);
    }

    const assigned = await json('hostname', 'list', '--venue', 'CORO', '--status', 'assigned');
    expect(assigned.map((h: { hostname: string }) => h.hostname)).toEqual([done.hostname, other.hostname]);
    expect((await run('hostname', 'release', done.hostname)).stdout).toBe(`${done.hostname} is available again\n`);
    expect((await run('hostname', 'retire', other.hostname)).stdout).toBe(`${other.hostname} is retired\n`);
    expect(await json('hostname', 'list', '--status', 'retired')).toEqual([
      expect.objectContaining({ hostname: other.hostname, status: 'retired', deviceSerial: '4000000200000000' }),
    ]);
    const unknown = await run('hostname', 'release', 'KXP2-CORO-999');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/KXP2-CORO-999.*\(HTTP 404\)/);

    const shown = await run('deployments', 'show', done.deploymentId);
    expect(shown.stdout).toMatch(
      new RegExp(`^${done.hostname} \\(4000000100000000, 2c:cf:67:02:00:01\\): success 100%`),
    );
    expect(shown.stdout).toMatch(/│ success +│ +│ +│ ready/);
    const detail = await json('deployments', 'show', done.deploymentId);
    expect(detail.events.map((e: { status: string }) => e.status)).toEqual([
      'starting',
      'downloading',
      'verifying',
      'customizing',
      'success',
    ]);

    const stats = await json('deployments', 'stats');
    expect(stats.today).toEqual({ total: 2, success: 1, failed: 0, inProgress: 1 });
    expect((await run('deployments', 'stats')).stdout).toMatch(/^today +2 \(1 ok, 0 failed, 1 running\)/);

    const csvFile = join(work, 'history.csv');
    const exported = await run('deployments', 'export', '--status', 'success', '--out', csvFile);
    expect(exported).toMatchObject({ code: 0, stderr: `Wrote 1 deployment(s) to ${csvFile}\n` });
    const csv = readFileSync(csvFile, 'utf8').trim().split('\n');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain(done.hostname);
    expect((await run('deployments', 'export')).stdout).toContain(other.hostname);
    const badId = await run('deployments', 'show', 'nope');
    expect(badId.stderr).toMatch(/uuid.*\(HTTP 400\)/i);
  });

  it('prints help with examples for the new command groups', async () => {
    for (const [command, example] of [
      ['user', 'user add alice --role operator'],
      ['hostname', 'hostname release KXP2-CORO-007'],
      ['backup', 'rpi-deploy backup --env-file'],
      ['restore', 'rpi-deploy restore backup.tar'],
    ]) {
      const help = await cliProcess([command!, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: rpi-deploy ${command}`);
      expect(help.stdout).toContain(example);
    }
  });
});

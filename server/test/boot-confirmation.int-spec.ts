import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { SOCKET_EVENTS, type ConfigResponse, type DeploymentDto } from '@rpi-deploy/contracts';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

/** Short enough to watch a deployment turn "not confirmed" within a test. */
const BOOT_CONFIRM_TIMEOUT_SECONDS = 3;
const INSTALL = ['starting', 'downloading', 'verifying', 'customizing', 'success'] as const;

const unit = (n: number) => ({
  serial: `30000000${n.toString(16).padStart(8, '0')}`,
  mac: `2c:cf:67:01:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`,
});

describe.each(testDatabases())('boot confirmation on $name', (database) => {
  let t: TestServer;
  let token: string;
  let work: string;
  let socket: Socket;
  const live: DeploymentDto[] = [];

  const manage = (path: string) => api(t.management, path, { token });
  const view = async (id: string) => (await manage(`/api/deployments/${id}`)).body;
  const status = (deployment: ConfigResponse, body: object, bearer: string | null = deployment.statusToken) =>
    api(t.deployment, '/api/status', {
      method: 'POST',
      body: { deploymentId: deployment.deploymentId, ...body },
      headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
    });
  /** A new deployment taken through the given phases of a real install. */
  const deploy = async (n: number, phases: readonly string[] = INSTALL) => {
    const answer = await api(t.deployment, '/api/config', {
      method: 'POST',
      body: { ...unit(n), product: 'KXP2', venue: 'BOOT' },
    });
    expect(answer.status).toBe(200);
    const deployment = answer.body as ConfigResponse;
    for (const phase of phases) expect((await status(deployment, { status: phase })).status).toBe(200);
    return deployment;
  };
  const until = async <T>(what: () => Promise<T> | T, done: (value: T) => boolean, ms = 10_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const value = await what();
      if (done(value) || Date.now() > end) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'boot-confirmation-test-'));
    t = await bootTestServer({
      DATABASE_URL: await database.create(),
      BOOT_CONFIRM_TIMEOUT_SECONDS: String(BOOT_CONFIRM_TIMEOUT_SECONDS),
    });
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    const post = (path: string, body: unknown) => api(t.management, path, { method: 'POST', token, body });
    await post('/api/venues', { code: 'BOOT', name: 'Boot bench' });
    await post('/api/venues/BOOT/karts', { from: 1, to: 30 });
    const file = join(work, 'tiny.img');
    writeFileSync(file, randomBytes(64 * 1024));
    const uploaded = await uploadMultipart({
      url: `${t.management}/api/images`,
      token,
      fields: { product: 'KXP2', version: '7.0.1' },
      filePath: file,
    });
    await post(`/api/images/${(uploaded.body as { id: number }).id}/activate`, undefined);
    socket = io(t.management, { transports: ['websocket'], auth: { token }, reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    socket.on(SOCKET_EVENTS.deploymentUpdated, (update: DeploymentDto) => live.push(update));
  });

  afterAll(async () => {
    socket?.close();
    await t?.close();
    await database.dropAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('accepts booted once, with the right token, and keeps what the unit said', async () => {
    const deployment = await deploy(1);
    const waiting = await view(deployment.deploymentId);
    expect(waiting).toMatchObject({ status: 'success', bootedAt: null, boot: { state: 'waiting', bootedAt: null } });

    const facts = {
      hostname: deployment.hostname.toLowerCase(),
      machineId: '0123456789abcdef0123456789abcdef',
      imageVersion: 'KXP2 7.0.1',
      kernel: '6.6.51+rpt-rpi-2712',
      address: '10.20.30.41',
    };
    expect((await status(deployment, { status: 'booted', ...facts }, null)).status).toBe(401);
    const other = await deploy(2);
    expect((await status(deployment, { status: 'booted' }, other.statusToken)).status).toBe(403);
    const unknown = await status(
      { ...deployment, deploymentId: '00000000-0000-4000-8000-000000000000' },
      { status: 'booted' },
    );
    expect(unknown.status).toBe(404);
    for (const bad of [
      { hostname: '' },
      { hostname: 'h'.repeat(254) },
      { machineId: null },
      { machineId: 'm'.repeat(65) },
      { address: 'not-an-address' },
      { kernel: 42 },
      { progress: 50 },
      { error: 'no' },
      { message: 'x'.repeat(501) },
    ]) {
      const refused = await status(deployment, { status: 'booted', ...facts, ...bad });
      expect([refused.status, bad]).toEqual([400, bad]);
    }
    // An install report must not carry what only a booted unit says.
    expect((await status(other, { status: 'success', hostname: 'x' })).status).toBe(400);
    expect(await view(deployment.deploymentId)).toMatchObject({ bootedAt: null, boot: { state: 'waiting' } });

    const accepted = await status(deployment, { status: 'booted', message: 'first boot', ...facts });
    expect(accepted).toMatchObject({ status: 200, body: { received: true } });
    const booted = await view(deployment.deploymentId);
    expect(booted).toMatchObject({
      status: 'success',
      bootedAt: expect.any(String),
      boot: { state: 'booted', ...facts, hostnameMismatch: null, secondsToBoot: expect.any(Number) },
    });
    expect(booted.boot.bootedAt).toBe(booted.bootedAt);
    expect(Date.parse(booted.bootedAt)).toBeGreaterThanOrEqual(Date.parse(booted.finishedAt));
    expect(booted.events.at(-1)).toMatchObject({ kind: 'booted', status: 'success', error: null });
    expect(booted.events.at(-1).message).toContain(`booted as ${facts.hostname} at 10.20.30.41`);

    const again = await status(deployment, { status: 'booted', ...facts });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('already confirmed its boot');
    expect((await view(deployment.deploymentId)).bootedAt).toBe(booted.bootedAt);

    const pushed = await until(
      () => live.filter((update) => update.id === deployment.deploymentId).at(-1),
      (update) => update?.boot?.state === 'booted',
    );
    expect(pushed).toMatchObject({ bootedAt: booted.bootedAt, boot: { state: 'booted', machineId: facts.machineId } });
  });

  it('refuses booted from a deployment that has not succeeded', async () => {
    const running = await deploy(3, ['starting', 'downloading']);
    const early = await status(running, { status: 'booted' });
    expect(early.status).toBe(409);
    expect(early.body.message).toContain('it is still downloading');
    const failed = await deploy(4, ['starting', 'failed']);
    const late = await status(failed, { status: 'booted' });
    expect(late.status).toBe(409);
    expect(late.body.message).toContain('it failed');
    expect(await view(failed.deploymentId)).toMatchObject({ status: 'failed', bootedAt: null, boot: null });
  });

  it('flags a unit that boots under another hostname than it was assigned', async () => {
    const deployment = await deploy(5);
    expect((await status(deployment, { status: 'booted', hostname: 'raspberrypi' })).status).toBe(200);
    const flagged = await view(deployment.deploymentId);
    const warning = `the unit booted as raspberrypi, but was assigned ${deployment.hostname}`;
    expect(flagged.boot).toMatchObject({ state: 'booted', hostname: 'raspberrypi', hostnameMismatch: warning });
    expect(flagged.events.at(-1)).toMatchObject({ kind: 'booted', error: warning });
    // A fully qualified name counts by its first label.
    const fqdn = await deploy(6);
    const name = `${fqdn.hostname.toLowerCase()}.venue.example`;
    expect((await status(fqdn, { status: 'booted', hostname: name })).status).toBe(200);
    expect((await view(fqdn.deploymentId)).boot.hostnameMismatch).toBeNull();
  });

  it('shows "not confirmed" after the configured time, live, and still takes a late confirmation', async () => {
    const deployment = await deploy(7);
    const before = await view(deployment.deploymentId);
    expect(before.boot.state).toBe('waiting');
    const late = await until(
      () => view(deployment.deploymentId),
      (current) => current.boot.state !== 'waiting',
    );
    expect(late.boot.state).toBe('unconfirmed');
    expect(Date.now() - Date.parse(late.finishedAt)).toBeGreaterThanOrEqual(BOOT_CONFIRM_TIMEOUT_SECONDS * 1000);
    expect(late.events.at(-1)).toMatchObject({ kind: 'boot_unconfirmed', status: 'success' });
    const pushed = await until(
      () => live.filter((update) => update.id === deployment.deploymentId).at(-1),
      (update) => update?.boot?.state === 'unconfirmed',
    );
    expect(pushed?.boot?.state).toBe('unconfirmed');

    const stats = (await manage('/api/deployments/stats')).body;
    // Booted: units 1, 5, 6; unconfirmed: unit 7 (unit 2 is still waiting or turned unconfirmed meanwhile).
    expect(stats.bootConfirmationRate).toBeGreaterThan(0);
    expect(stats.bootConfirmationRate).toBeLessThan(1);
    expect(stats.medianSecondsToBoot).toEqual(expect.any(Number));

    expect((await status(deployment, { status: 'booted', hostname: deployment.hostname })).status).toBe(200);
    expect((await view(deployment.deploymentId)).boot.state).toBe('booted');
  });

  it('exports the first boot in the CSV', async () => {
    const response = await fetch(`${t.management}/api/deployments/export.csv?status=success`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const [header, ...rows] = (await response.text()).trim().split('\r\n');
    const columns = header.split(',');
    for (const name of ['boot', 'booted_at', 'seconds_to_boot', 'boot_hostname']) expect(columns).toContain(name);
    const items = (await manage('/api/deployments?status=success&pageSize=500')).body.items as DeploymentDto[];
    const booted = items.find((item) => item.boot?.state === 'booted' && item.boot.hostname === 'raspberrypi')!;
    const cells = rows.find((row) => row.startsWith(booted.id))!.split(',');
    expect(cells[columns.indexOf('boot')]).toBe('booted');
    expect(cells[columns.indexOf('booted_at')]).toBe(booted.bootedAt);
    expect(Number(cells[columns.indexOf('seconds_to_boot')])).toBe(booted.boot!.secondsToBoot);
    expect(cells[columns.indexOf('boot_hostname')]).toBe('raspberrypi');
  });

  it('counts confirmations in the metrics', async () => {
    const text = (await api(t.management, '/metrics', { token })).body as string;
    expect(text).toMatch(/rpi_deploy_boots_total\{outcome="booted"\} 4/);
    expect(text).toMatch(/rpi_deploy_boots_total\{outcome="unconfirmed"\} [1-9]/);
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditPage, CanaryDto, ConfigResponse, ImageDto } from '@rpi-deploy/contracts';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { cli } from './support/run-cli';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

const unit = (n: number) => ({
  serial: `40000000${n.toString(16).padStart(8, '0')}`,
  mac: `2c:cf:67:02:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`,
});

/**
 * Canary of a new image version through the real server: the next N configs (asked all at once)
 * or the named serials get it, everyone else the active version; its units' outcome; promote,
 * abandon; refusals change nothing; audit entries.
 */
describe.each(testDatabases())('image canary on $name', (database) => {
  let t: TestServer;
  let token: string;
  let work: string;
  let oldImage: ImageDto;
  let newImage: ImageDto;

  const call = (method: string, path: string, body?: unknown, bearer = token) =>
    api(t.management, path, { method, token: bearer, body });
  const configure = async (n: number): Promise<ConfigResponse> => {
    const answer = await api(t.deployment, '/api/config', {
      method: 'POST',
      body: { ...unit(n), product: 'KXP2', venue: 'CANY' },
    });
    expect(answer.status).toBe(200);
    return answer.body as ConfigResponse;
  };
  const report = (deployment: ConfigResponse, body: object) =>
    api(t.deployment, '/api/status', {
      method: 'POST',
      body: { deploymentId: deployment.deploymentId, ...body },
      headers: { authorization: `Bearer ${deployment.statusToken}` },
    });
  const upload = async (version: string): Promise<ImageDto> => {
    const file = join(work, `${version}.img`);
    writeFileSync(file, randomBytes(64 * 1024));
    const uploaded = await uploadMultipart({
      url: `${t.management}/api/images`,
      token,
      fields: { product: 'KXP2', version },
      filePath: file,
    });
    expect(uploaded.status).toBe(201);
    return uploaded.body as ImageDto;
  };
  const canary = async () => (await call('GET', '/api/images/canaries/KXP2')).body as CanaryDto;
  const active = async () =>
    ((await call('GET', '/api/images?product=KXP2')).body as ImageDto[]).find((image) => image.active)?.version;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'canary-test-'));
    t = await bootTestServer({ DATABASE_URL: await database.create() });
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await call('POST', '/api/venues', { code: 'CANY', name: 'Canary bench' });
    await call('POST', '/api/venues/CANY/karts', { from: 1, to: 99 });
    oldImage = await upload('8.0.0');
    newImage = await upload('8.1.0');
  });

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses bad canaries with 4xx and starts none', async () => {
    // No active image yet: the rest of the fleet would have nothing.
    expect((await call('POST', `/api/images/${newImage.id}/canary`, { units: 3 })).status).toBe(409);
    expect((await call('POST', `/api/images/${oldImage.id}/activate`)).status).toBe(200);
    for (const bad of [
      {},
      { units: 0 },
      { units: 1.5 },
      { units: 100000 },
      { units: 2, serials: [unit(1).serial] },
      { serials: [] },
      { serials: ['not-a-serial'] },
      { serials: 'abc' },
    ]) {
      const refused = await call('POST', `/api/images/${newImage.id}/canary`, bad);
      expect({ bad, status: refused.status }).toEqual({ bad, status: 400 });
    }
    expect((await call('POST', `/api/images/${oldImage.id}/canary`, { units: 1 })).status).toBe(409);
    expect((await call('POST', '/api/images/99999/canary', { units: 1 })).status).toBe(404);
    expect((await call('GET', '/api/images/canaries/KXP2')).status).toBe(404);
    expect((await call('GET', '/api/images/canaries/NOPE')).status).toBe(400);
    expect((await call('POST', '/api/images/canaries/KXP2/promote')).status).toBe(404);
    expect((await call('GET', '/api/images/canaries')).body).toEqual([]);
    const viewer = await call('POST', '/api/users', {
      username: 'canaryview',
      password: 'viewer-pass-123',
      role: 'viewer',
    });
    expect(viewer.status).toBe(201);
    const viewerToken = (await login(t.management, 'canaryview', 'viewer-pass-123')).accessToken;
    expect((await call('POST', `/api/images/${newImage.id}/canary`, { units: 1 }, viewerToken)).status).toBe(403);
  });

  it('gives the next N of many concurrent configs the canary, the rest the active version, then abandons', async () => {
    const started = await call('POST', `/api/images/${newImage.id}/canary`, { units: 5 });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({
      product: 'KXP2',
      imageId: newImage.id,
      version: '8.1.0',
      units: 5,
      assigned: 0,
    });
    expect((await call('POST', `/api/images/${newImage.id}/canary`, { units: 1 })).status).toBe(409);

    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => configure(i + 1)));
    const versions = answers.map((answer) => answer.image.version);
    expect(versions.filter((version) => version === '8.1.0')).toHaveLength(5);
    expect(versions.filter((version) => version === '8.0.0')).toHaveLength(25);
    expect(await active()).toBe('8.0.0');

    // Two canary units install, one boots, one fails; one is still installing.
    const [first, second, third] = answers.filter((answer) => answer.image.version === '8.1.0');
    for (const status of ['starting', 'downloading', 'verifying', 'customizing', 'success']) {
      expect((await report(first as ConfigResponse, { status })).status).toBe(200);
      expect((await report(second as ConfigResponse, { status })).status).toBe(200);
    }
    expect((await report(second as ConfigResponse, { status: 'booted', hostname: second?.hostname })).status).toBe(200);
    expect((await report(third as ConfigResponse, { status: 'failed', error: 'disk full' })).status).toBe(200);
    expect(await canary()).toMatchObject({
      assigned: 5,
      outcome: { units: 5, installed: 2, booted: 1, failed: 1, installing: 2 },
    });
    // Places are used up: the next config gets the active version.
    expect((await configure(31)).image.version).toBe('8.0.0');

    const abandoned = await call('POST', '/api/images/canaries/KXP2/abandon');
    expect(abandoned.status).toBe(200);
    expect((await call('GET', '/api/images/canaries/KXP2')).status).toBe(404);
    expect(await active()).toBe('8.0.0');
    expect((await configure(1)).image.version).toBe('8.0.0');
  });

  it('gives named serials the canary whenever they ask, then promotes it for everyone', async () => {
    const named = [unit(40).serial.toUpperCase(), unit(41).serial];
    const started = await call('POST', `/api/images/${newImage.id}/canary`, { serials: named });
    expect(started.status).toBe(201);
    expect((started.body as CanaryDto).serials).toEqual(named.map((serial) => serial.toLowerCase()));
    const [a, b, other, again] = await Promise.all([configure(40), configure(41), configure(42), configure(43)]);
    expect([a, b, other, again].map((answer) => answer.image.version)).toEqual(['8.1.0', '8.1.0', '8.0.0', '8.0.0']);
    expect((await configure(40)).image.version).toBe('8.1.0');
    expect((await canary()).outcome.units).toBe(2);

    const promoted = await call('POST', '/api/images/canaries/KXP2/promote');
    expect(promoted.status).toBe(200);
    expect(await active()).toBe('8.1.0');
    expect((await call('GET', '/api/images/canaries')).body).toEqual([]);
    expect((await configure(42)).image.version).toBe('8.1.0');
    // Rollback stays one click.
    expect((await call('POST', '/api/images/rollback', { product: 'KXP2' })).status).toBe(200);
    expect(await active()).toBe('8.0.0');

    const audit = (await call('GET', '/api/audit?targetType=product&pageSize=100')).body as AuditPage;
    const actions = audit.items.map((entry) => entry.action);
    expect(actions.filter((action) => action === 'image.canary_start')).toHaveLength(2);
    expect(actions).toContain('image.canary_abandon');
    expect(actions).toContain('image.canary_promote');
    expect(audit.items.find((entry) => entry.action === 'image.canary_promote')).toMatchObject({ targetId: 'KXP2' });
  });

  it('runs from the CLI: start, status, promote', async () => {
    const env = { RPI_DEPLOY_URL: t.management, RPI_DEPLOY_TOKEN: token };
    const bad = await cli(['image', 'canary', 'start', String(newImage.id), '--units', '0'], env);
    expect(bad.code).not.toBe(0);
    const started = await cli(['image', 'canary', 'start', String(newImage.id), '--units', '2'], env);
    expect(started).toMatchObject({ code: 0, stderr: '' });
    expect(started.stdout).toContain('KXP2 canary: 8.1.0');
    expect((await configure(60)).image.version).toBe('8.1.0');
    const status = await cli(['image', 'canary', 'status'], env);
    expect(status.stdout).toContain('1 of 2 units');
    expect(status.stdout).toContain('units 1: installing 1, installed 0, booted 0, failed 0');
    const promoted = await cli(['image', 'canary', 'promote', '--product', 'KXP2'], env);
    expect(promoted).toMatchObject({ code: 0, stdout: 'KXP2 8.1.0 is now active for everyone\n' });
    expect(await active()).toBe('8.1.0');
    expect((await cli(['image', 'canary', 'status'], env)).stdout).toBe('No canary is running\n');
    expect((await cli(['image', 'canary', 'abandon', '--product', 'KXP2'], env)).code).not.toBe(0);
  });
});

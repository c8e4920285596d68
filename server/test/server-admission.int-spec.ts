import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChunkManifest, ConfigResponse, DeploymentDto } from '@rpi-deploy/contracts';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

const unit = (n: number) => ({
  serial: `30000000${n.toString(16).padStart(8, '0')}`,
  mac: `2c:cf:67:01:00:${n.toString(16).padStart(2, '0')}`,
});

/** DEPLOY_MAX_SERVER_TRANSFERS: two units draw image bytes at once, the rest wait in line with Retry-After. */
describe.each(testDatabases())('server admission on $name', (database) => {
  let t: TestServer;
  let token: string;
  let work: string;
  let imageBytes: Buffer;

  const manage = (path: string) => api(t.management, path, { token });
  const config = async (n: number) =>
    (await api(t.deployment, '/api/config', { method: 'POST', body: { ...unit(n), product: 'KXP2', venue: 'CORO' } }))
      .body as ConfigResponse;
  const report = (deployment: ConfigResponse, body: object) =>
    api(t.deployment, '/api/status', {
      method: 'POST',
      body: { deploymentId: deployment.deploymentId, ...body },
      headers: { authorization: `Bearer ${deployment.statusToken}` },
    });
  const fetchImage = async (deployment: ConfigResponse) => {
    const response = await fetch(deployment.image.url, { headers: { 'x-rpi-deploy-unit': deployment.deploymentId } });
    return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'admission-test-'));
    t = await bootTestServer({
      DATABASE_URL: await database.create(),
      DEPLOY_MAX_SERVER_TRANSFERS: '2',
      DEPLOY_ADMISSION_SILENCE_SECONDS: '2',
      DEPLOY_ADMISSION_IDLE_SECONDS: '1',
    });
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    const post = (path: string, body?: unknown) => api(t.management, path, { method: 'POST', token, body });
    await post('/api/venues', { code: 'CORO', name: 'Corona' });
    await post('/api/venues/CORO/karts', { from: 1, to: 20 });
    imageBytes = randomBytes(64 * 1024);
    writeFileSync(join(work, 'tiny.img'), imageBytes);
    const uploaded = await uploadMultipart({
      url: `${t.management}/api/images`,
      token,
      fields: { product: 'KXP2', version: '1.0.0' },
      filePath: join(work, 'tiny.img'),
    });
    await post(`/api/images/${(uploaded.body as { id: number }).id}/activate`);
  });

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('admits two units, queues the rest in arrival order with Retry-After, and moves the line on release and silence', async () => {
    const units = [];
    for (let n = 1; n <= 5; n++) units.push(await config(n));
    const [a, b, c, d, e] = units;

    // The first two hold a slot for their whole transfer: every request of theirs is served.
    for (const admitted of [a, b, a, b]) {
      const response = await fetchImage(admitted);
      expect(response.status).toBe(200);
      expect(response.body.equals(imageBytes)).toBe(true);
    }
    const third = await fetchImage(c);
    expect(third.status).toBe(503);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(third.headers.get('x-queue-position')).toBe('1');
    expect(JSON.parse(third.body.toString())).toMatchObject({
      position: 1,
      message: 'waiting for the network, 1st in line',
    });
    expect((await fetchImage(d)).headers.get('x-queue-position')).toBe('2');
    expect((await fetchImage(e)).headers.get('x-queue-position')).toBe('3');
    // Asking again keeps one's place (first come, first served), and the view shows it.
    expect((await fetchImage(d)).headers.get('x-queue-position')).toBe('2');
    expect(((await manage(`/api/deployments/${d.deploymentId}`)).body as DeploymentDto).queuePosition).toBe(2);
    expect(((await manage(`/api/deployments/${a.deploymentId}`)).body as DeploymentDto).queuePosition).toBeNull();
    // The block map is not rationed: a waiting unit may read it.
    const bmap = await fetch(`${c.image.url}.bmap`, { headers: { 'x-rpi-deploy-unit': c.deploymentId } });
    expect(bmap.status).toBe(200);

    // A unit past its download frees its slot: the first in line gets it, the one behind it does not.
    expect((await report(a, { status: 'downloading', progress: 40 })).status).toBe(200);
    expect((await report(a, { status: 'verifying', progress: 80 })).status).toBe(200);
    expect((await fetchImage(e)).headers.get('x-queue-position')).toBe('3');
    expect((await fetchImage(c)).status).toBe(200);
    expect((await fetchImage(e)).headers.get('x-queue-position')).toBe('2');
    expect(((await manage(`/api/deployments/${e.deploymentId}`)).body as DeploymentDto).queuePosition).toBe(2);

    // B goes silent: after DEPLOY_ADMISSION_SILENCE_SECONDS its image slot is freed for D (still asking).
    // C keeps asking meanwhile: it still holds its slot.
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await fetchImage(c)).status).toBe(200);
    }
    expect((await fetchImage(d)).status).toBe(200);
    expect((await fetchImage(e)).headers.get('x-queue-position')).toBe('1');
  });

  it('counts an installer that does not name itself by its address', async () => {
    const anonymous = await fetch((await config(9)).image.url);
    // Slots are held by C and D; the address waits in line behind E.
    expect(anonymous.status).toBe(503);
    expect(Number(anonymous.headers.get('x-queue-position'))).toBeGreaterThanOrEqual(1);
  });

  it('gives the slot of a unit fetching chunks to the next in line once it stops asking the server', async () => {
    // The image slots of the tests above run out (DEPLOY_ADMISSION_SILENCE_SECONDS); those still in line
    // (E, the anonymous installer) asked long enough ago not to hold a free slot for themselves.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const [f, g, h] = [await config(11), await config(12), await config(13)];
    const manifest = (await (await fetch(f.image.manifestUrl as string)).json()) as ChunkManifest;
    const chunk = `${manifest.chunkBaseUrl}/${manifest.chunks[0].sha256}.zst`;
    const fetchChunk = async (deployment: ConfigResponse) => {
      const response = await fetch(chunk, { headers: { 'x-rpi-deploy-unit': deployment.deploymentId } });
      await response.arrayBuffer();
      return response.status;
    };
    expect(await fetchChunk(f)).toBe(200);
    expect(await fetchChunk(g)).toBe(200);
    expect(await fetchChunk(h)).toBe(503);
    // F keeps drawing; G fetches from its neighbours now: after DEPLOY_ADMISSION_IDLE_SECONDS H has G's slot,
    // though G still reports that it is downloading.
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await fetchChunk(f)).toBe(200);
      expect((await report(g, { status: 'downloading', progress: 50 })).status).toBe(200);
    }
    expect(await fetchChunk(h)).toBe(200);
    expect(await fetchChunk(g)).toBe(503);
  });
});

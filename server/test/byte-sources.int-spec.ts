import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRAFFIC_SAMPLING, type ConfigResponse, type DeploymentDto, type TrafficSample } from '@rpi-deploy/contracts';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

const unit = (n: number) => ({
  serial: `40000000${n.toString(16).padStart(8, '0')}`,
  mac: `2c:cf:67:02:00:${n.toString(16).padStart(2, '0')}`,
});

/**
 * Where each unit's bytes come from, live (the `sources` of its progress reports), and the
 * fleet's traffic over time that the Statistics page charts (GET /api/deployments/traffic).
 */
describe.each(testDatabases())('byte sources and fleet traffic on $name', (database) => {
  let t: TestServer;
  let token: string;
  let work: string;

  const view = async (deployment: ConfigResponse) =>
    (await api(t.management, `/api/deployments/${deployment.deploymentId}`, { token })).body as DeploymentDto;
  const report = (deployment: ConfigResponse, body: object) =>
    api(t.deployment, '/api/status', {
      method: 'POST',
      body: { deploymentId: deployment.deploymentId, ...body },
      headers: { authorization: `Bearer ${deployment.statusToken}` },
    });
  const traffic = async () => {
    const samples = (await api(t.management, '/api/deployments/traffic', { token })).body as TrafficSample[];
    return {
      samples,
      server: samples.reduce((sum, sample) => sum + sample.serverBytes, 0),
      peers: samples.reduce((sum, sample) => sum + sample.peerBytes, 0),
    };
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'byte-sources-test-'));
    t = await bootTestServer({ DATABASE_URL: await database.create() });
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    const post = (path: string, body?: unknown) => api(t.management, path, { method: 'POST', token, body });
    await post('/api/venues', { code: 'CORO', name: 'Corona' });
    await post('/api/venues/CORO/karts', { from: 1, to: 20 });
    writeFileSync(join(work, 'tiny.img'), randomBytes(64 * 1024));
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

  it("shows each unit's bytes from the server and from peers as it downloads, and sums them per interval", async () => {
    const configure = async (n: number) =>
      (await api(t.deployment, '/api/config', { method: 'POST', body: { ...unit(n), product: 'KXP2', venue: 'CORO' } }))
        .body as ConfigResponse;
    const [a, b] = [await configure(1), await configure(2)];
    expect(await view(a)).toMatchObject({ bytesFromServer: null, bytesFromPeers: null, transfer: null });

    expect(
      (await report(a, { status: 'downloading', progress: 10, sources: { fromServer: 4e6, fromPeers: 0 } })).status,
    ).toBe(200);
    expect(
      (await report(b, { status: 'downloading', progress: 10, sources: { fromServer: 1e6, fromPeers: 2e6 } })).status,
    ).toBe(200);
    expect(
      (await report(a, { status: 'downloading', progress: 20, sources: { fromServer: 5e6, fromPeers: 3e6 } })).status,
    ).toBe(200);
    // Running totals while downloading: the final transfer counts are not there yet.
    expect(await view(a)).toMatchObject({ bytesFromServer: 5e6, bytesFromPeers: 3e6, transfer: null });

    // The final transfer replaces the running totals.
    expect((await report(b, { status: 'verifying', progress: 80 })).status).toBe(200);
    expect((await report(b, { status: 'customizing', progress: 90 })).status).toBe(200);
    const transfer = { bytesFetched: 7e6, bytesWritten: 9e6, bytesFromPeers: 5e6 };
    expect((await report(b, { status: 'success', progress: 100, transfer })).status).toBe(200);
    expect(await view(b)).toMatchObject({ bytesFromServer: 2e6, bytesFromPeers: 5e6, transfer });

    // Within one or two sampling intervals the fleet's traffic holds every byte, each counted once.
    const deadline = Date.now() + (TRAFFIC_SAMPLING.seconds * 2 + 2) * 1000;
    let seen = await traffic();
    while (seen.server + seen.peers < 15e6 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      seen = await traffic();
    }
    expect({ server: seen.server, peers: seen.peers }).toEqual({ server: 7e6, peers: 8e6 });
    for (const sample of seen.samples) expect(sample.seconds).toBeGreaterThan(0);
    expect(seen.samples.map((sample) => sample.at)).toEqual([...seen.samples.map((sample) => sample.at)].sort());
  });

  it('refuses sources that are not whole byte counts, and the traffic to anyone not signed in', async () => {
    const deployment = (
      await api(t.deployment, '/api/config', { method: 'POST', body: { ...unit(3), product: 'KXP2', venue: 'CORO' } })
    ).body as ConfigResponse;
    for (const sources of [{ fromServer: -1, fromPeers: 0 }, { fromServer: 1.5, fromPeers: 0 }, { fromServer: 1 }, 7]) {
      const refused = await report(deployment, { status: 'downloading', progress: 5, sources });
      expect(refused.status).toBe(400);
    }
    expect(await view(deployment)).toMatchObject({ status: 'starting', bytesFromServer: null });
    expect((await api(t.management, '/api/deployments/traffic')).status).toBe(401);
    // The installer's listener has no management routes.
    expect((await api(t.deployment, '/api/deployments/traffic', { token })).status).toBe(404);
  });
});

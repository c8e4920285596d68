import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelQrText, type ConfigResponse, type DeploymentDto } from '@rpi-deploy/contracts';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { readPdf } from './support/read-pdf';
import { cli } from './support/run-cli';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

const unit = (n: number) => ({
  serial: `30000000${n.toString(16).padStart(8, '0')}`,
  mac: `2c:cf:67:01:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`,
});

describe.each(testDatabases())('labels and user preferences on $name', (database) => {
  let t: TestServer;
  let token: string;
  let viewerToken: string;
  let work: string;
  let batchId: number;
  let emptyBatchId: number;
  const configs: ConfigResponse[] = [];

  const manage = (path: string, method = 'GET', body?: unknown, as = token) =>
    api(t.management, path, { method, token: as, body });
  const fetchPdf = (query: string, as = token) =>
    fetch(`${t.management}/api/labels.pdf?${query}`, { headers: { authorization: `Bearer ${as}` } });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'labels-test-'));
    t = await bootTestServer({ DATABASE_URL: await database.create() });
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await manage('/api/users', 'POST', { username: 'vic', password: 'viewer-password', role: 'viewer' });
    viewerToken = (await login(t.management, 'vic', 'viewer-password')).accessToken;
    await manage('/api/venues', 'POST', { code: 'LABL', name: 'Label Karting' });
    await manage('/api/venues/LABL/karts', 'POST', { from: 1, to: 10 });
    const file = join(work, 'tiny.img');
    writeFileSync(file, randomBytes(128 * 1024));
    const uploaded = await uploadMultipart({
      url: `${t.management}/api/images`,
      token,
      fields: { product: 'KXP2', version: '1.0.0' },
      filePath: file,
    });
    await manage(`/api/images/${(uploaded.body as { id: number }).id}/activate`, 'POST');
    batchId = (await manage('/api/batches', 'POST', { venue: 'LABL', product: 'KXP2', count: 3 })).body.id;
    emptyBatchId = (await manage('/api/batches', 'POST', { venue: 'LABL', product: 'KXP2', count: 2 })).body.id;
    await manage(`/api/batches/${batchId}/start`, 'POST');
    for (const n of [1, 2, 3]) {
      const response = await api(t.deployment, '/api/config', { method: 'POST', body: unit(n) });
      expect(response.status).toBe(200);
      configs.push(response.body);
    }
    // Unit 2 restarts: a second deployment of the same unit, still of the batch, still one label.
    const again = await api(t.deployment, '/api/config', { method: 'POST', body: unit(2) });
    expect(again.body.hostname).toBe(configs[1]!.hostname);
    configs[1] = again.body;
  });

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
    rmSync(work, { recursive: true, force: true });
  });

  const expectedLabels = (numbers: number[]) =>
    numbers.map((n) => ({ hostname: configs[n - 1]!.hostname, ...unit(n) }));

  it('records the batch on every deployment of its units, restarts included', async () => {
    const list = (await manage('/api/deployments?pageSize=50')).body.items as DeploymentDto[];
    expect(list).toHaveLength(4);
    expect(list.map((deployment) => deployment.batchId)).toEqual([batchId, batchId, batchId, batchId]);
  });

  it("prints a batch's labels as a PDF whose text and QR codes name every unit once, by hostname", async () => {
    const response = await fetchPdf(`batch=${batchId}`, viewerToken);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="labels-batch-${batchId}.pdf"`);
    expect(response.headers.get('x-label-count')).toBe('3');
    const pages = await readPdf(Buffer.from(await response.arrayBuffer()));
    const expected = expectedLabels([1, 2, 3]);
    expect(expected.map((label) => label.hostname)).toEqual(['KXP2-LABL-001', 'KXP2-LABL-002', 'KXP2-LABL-003']);
    expect(pages.map((page) => page.text)).toEqual(
      expected.map((label) => `${label.hostname}\n${label.serial}\n${label.mac}`),
    );
    expect(pages.map((page) => page.qr)).toEqual(expected.map((label) => [labelQrText(label)]));
  });

  it("gives the same labels as data for the dashboard's printable page", async () => {
    const response = await manage(`/api/labels?batch=${batchId}`, 'GET', undefined, viewerToken);
    expect(response).toMatchObject({ status: 200, body: expectedLabels([1, 2, 3]) });
    expect((await manage('/api/labels?deploymentIds=')).status).toBe(400);
    expect((await manage(`/api/labels?batch=${emptyBatchId}`)).status).toBe(404);
  });

  it('prints the labels of chosen deployments', async () => {
    const ids = [configs[2]!.deploymentId, configs[0]!.deploymentId].join(',');
    const response = await fetchPdf(`deploymentIds=${ids}`);
    expect(response.status).toBe(200);
    const pages = await readPdf(Buffer.from(await response.arrayBuffer()));
    expect(pages.map((page) => page.qr)).toEqual(expectedLabels([1, 3]).map((label) => [labelQrText(label)]));
  });

  it.each([
    ['batch=999999', 404, /No batch 999999/],
    ['batch=EMPTY', 404, /has no units yet/],
    ['batch=0', 400, /batch must be a whole number from 1 to 2147483647/],
    ['deploymentIds=', 400, /deploymentIds must name at least one deployment/],
    ['deploymentIds=not-a-uuid', 400, /deploymentIds must be deployment ids/],
    ['deploymentIds=7e3f6f0a-3c1b-4d7e-9a2f-0c5d8e1b2a3c', 404, /No deployment 7e3f6f0a/],
    ['', 400, /Give either batch .* or deploymentIds/],
    ['batch=1&deploymentIds=7e3f6f0a-3c1b-4d7e-9a2f-0c5d8e1b2a3c', 400, /Give either batch/],
  ])('answers %s with %i and a message that says what to do', async (query, status, message) => {
    const response = await fetchPdf(query.replace('EMPTY', String(emptyBatchId)));
    expect(response.status).toBe(status);
    const body = (await response.json()) as { message: string | string[] };
    expect([body.message].flat().join('\n')).toMatch(message);
  });

  it('needs a login', async () => {
    expect((await fetch(`${t.management}/api/labels.pdf?batch=${batchId}`)).status).toBe(401);
  });

  it('rpi-deploy labels --batch writes the same PDF to a file', async () => {
    const out = join(work, 'batch.pdf');
    const env = { RPI_DEPLOY_URL: t.management, RPI_DEPLOY_TOKEN: viewerToken };
    const result = await cli(['labels', '--batch', String(batchId), '--out', out], env);
    expect(result).toMatchObject({ code: 0, stderr: `Wrote 3 label(s) to ${out}\n` });
    const pages = await readPdf(readFileSync(out));
    expect(pages.map((page) => page.qr)).toEqual(expectedLabels([1, 2, 3]).map((label) => [labelQrText(label)]));

    const unknown = await cli(['labels', '--batch', '999999', '--out', out], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No batch 999999/);
    const help = await cli(['labels', '--help'], {});
    expect(help.stdout).toMatch(/Usage: rpi-deploy labels \[options\]/);
    expect(help.stdout).toMatch(/--batch <id> +every unit handed a hostname through this batch/);
    const neither = await cli(['labels', '--out', out], env);
    expect(neither).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/Give either --batch ID or --deployments/),
    });
  });

  describe('preferences', () => {
    it("keeps each user's dashboard view on the server, cards until chosen", async () => {
      expect((await manage('/api/users/me/preferences', 'GET', undefined, viewerToken)).body).toEqual({
        dashboardView: 'cards',
      });
      const put = await manage('/api/users/me/preferences', 'PUT', { dashboardView: 'wall' }, viewerToken);
      expect(put).toMatchObject({ status: 200, body: { dashboardView: 'wall' } });
      // A new login (another browser) finds it; another user keeps their own.
      const again = (await login(t.management, 'vic', 'viewer-password')).accessToken;
      expect((await manage('/api/users/me/preferences', 'GET', undefined, again)).body).toEqual({
        dashboardView: 'wall',
      });
      expect((await manage('/api/users/me/preferences')).body).toEqual({ dashboardView: 'cards' });
    });

    it.each([
      [{ dashboardView: 'tiles' }, /dashboardView must be one of cards, wall/],
      [{ dashboardView: null }, /dashboardView may be left out, but must not be null/],
      [{}, /Nothing to change: give dashboardView/],
      [{ dashboardView: 'wall', colour: 'red' }, /property colour should not exist/],
    ])('refuses %j with 400 and changes nothing', async (body, message) => {
      const response = await manage('/api/users/me/preferences', 'PUT', body);
      expect(response.status).toBe(400);
      expect([response.body.message].flat().join('\n')).toMatch(message);
      expect((await manage('/api/users/me/preferences')).body).toEqual({ dashboardView: 'cards' });
    });

    it('needs a login', async () => {
      expect((await api(t.management, '/api/users/me/preferences')).status).toBe(401);
    });
  });
});

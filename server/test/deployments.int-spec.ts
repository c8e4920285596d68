import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { SOCKET_EVENTS, type ConfigResponse, type DeploymentDto } from '@rpi-deploy/contracts';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

const unit = (n: number) => ({
  serial: `20000000${n.toString(16).padStart(8, '0')}`,
  mac: `2c:cf:67:00:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`,
});

describe.each(testDatabases())('deployments on $name', (database) => {
  let t: TestServer;
  let token: string;
  let work: string;
  let env: Record<string, string | undefined>;

  const config = (body: object) => api(t.deployment, '/api/config', { method: 'POST', body });
  const status = (deployment: ConfigResponse, body: object, bearer = deployment.statusToken) =>
    api(t.deployment, '/api/status', {
      method: 'POST',
      body: { deploymentId: deployment.deploymentId, ...body },
      headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
    });
  const manage = (path: string, method = 'GET', body?: unknown) => api(t.management, path, { method, token, body });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'deployments-test-'));
    env = {
      DATABASE_URL: await database.create(),
      DEPLOY_PUBLIC_URL: 'http://deploy.example:5001/',
      DEPLOYMENT_SILENCE_TIMEOUT_SECONDS: '2',
    };
    t = await bootTestServer(env);
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await manage('/api/venues', 'POST', { code: 'CORO', name: 'Corona' });
    await manage('/api/venues', 'POST', { code: 'EMPT', name: 'Empty' });
    await manage('/api/venues/CORO/karts', 'POST', { from: 1, to: 20 });
    const file = join(work, 'tiny.img');
    writeFileSync(file, randomBytes(256 * 1024));
    const uploaded = await uploadMultipart({
      url: `${t.management}/api/images`,
      token,
      fields: { product: 'KXP2', version: '3.1.4' },
      filePath: file,
    });
    await manage(`/api/images/${(uploaded.body as { id: number }).id}/activate`, 'POST');
  });

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('answers /api/config with a hostname, the image and a secret for the status reports', async () => {
    const response = await config({
      ...unit(1),
      product: 'kxp2',
      venue: 'coro',
      model: 'Raspberry Pi 5 Model B',
      storageBytes: 31_914_983_424,
    });
    expect(response.status).toBe(200);
    const body = response.body as ConfigResponse;
    expect(body).toMatchObject({ hostname: 'KXP2-CORO-001', product: 'KXP2', venue: 'CORO' });
    expect(body.deploymentId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.statusToken.length).toBeGreaterThanOrEqual(40);
    expect(body.image).toMatchObject({ version: '3.1.4', size: 256 * 1024, compression: 'none' });
    expect(body.image.url).toMatch(/^http:\/\/deploy\.example:5001\/images\/kxp2-[0-9a-f]{12}\.img$/);
    expect(body.image.bmapUrl).toBe(`${body.image.url}.bmap`);
    const view = (await manage(`/api/deployments/${body.deploymentId}`)).body;
    expect(view).toMatchObject({
      status: 'starting',
      ip: '127.0.0.1',
      model: 'Raspberry Pi 5 Model B',
      storageBytes: 31_914_983_424,
      imageVersion: '3.1.4',
    });
  });

  it('runs a deployment through every phase and keeps each report', async () => {
    const deployment = (await config({ ...unit(2), product: 'KXP2', venue: 'CORO' })).body as ConfigResponse;
    const reports = [
      { status: 'starting', message: 'card 32 GB' },
      {
        status: 'downloading',
        progress: 10,
        bytesDone: 100,
        bytesTotal: 1000,
        throughput: { download: 50e6, write: 40e6 },
      },
      { status: 'downloading', progress: 60, bytesDone: 600, bytesTotal: 1000 },
      { status: 'verifying', progress: 80, throughput: { verify: 90e6 } },
      { status: 'customizing', progress: 95 },
      {
        status: 'success',
        message: 'ready',
        transfer: { bytesFetched: 350, bytesWritten: 1000, chunksReused: 3, chunksTotal: 10 },
      },
    ];
    const before = (await manage(`/api/deployments/${deployment.deploymentId}`)).body;
    expect(before.transfer).toBeNull();
    const badTransfer = await status(deployment, {
      status: 'starting',
      transfer: { bytesFetched: -1, bytesWritten: 1 },
    });
    expect(badTransfer.status).toBe(400);
    expect(JSON.stringify(badTransfer.body)).toContain('transfer.bytesFetched');
    for (const report of reports) expect((await status(deployment, report)).body).toEqual({ received: true });
    const detail = (await manage(`/api/deployments/${deployment.deploymentId}`)).body;
    expect(detail).toMatchObject({
      status: 'success',
      progress: 100,
      bytesDone: 600,
      bytesTotal: 1000,
      throughput: { download: 50e6, write: 40e6, verify: 90e6 },
      message: 'ready',
      transfer: { bytesFetched: 350, bytesWritten: 1000, chunksReused: 3, chunksTotal: 10 },
      finishedAt: expect.any(String),
    });
    const csv = await (
      await fetch(`${t.management}/api/deployments/export.csv?status=success`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).text();
    const row = csv.split('\r\n').find((line) => line.startsWith(deployment.deploymentId))!;
    expect(row.split(',').slice(14, 18)).toEqual(['350', '1000', '3', '10']);
    expect(detail.events.map((e: { status: string }) => e.status)).toEqual([
      'starting',
      ...reports.map((r) => r.status),
    ]);
    expect(detail.events[2]).toMatchObject({ progress: 10, bytesDone: 100, bytesTotal: 1000 });
    expect((await status(deployment, { status: 'failed' })).status).toBe(409);
  });

  it("checks the token: missing 401, wrong or another unit's 403, unknown deployment 404", async () => {
    const mine = (await config({ ...unit(3), product: 'KXP2', venue: 'CORO' })).body as ConfigResponse;
    const theirs = (await config({ ...unit(4), product: 'KXP2', venue: 'CORO' })).body as ConfigResponse;
    expect((await status(mine, { status: 'downloading' }, '')).status).toBe(401);
    expect((await status(mine, { status: 'downloading' }, 'guess')).status).toBe(403);
    expect((await status(mine, { status: 'downloading' }, theirs.statusToken)).status).toBe(403);
    const unknown = await status(
      { ...mine, deploymentId: '6b1f3a0e-0000-4000-8000-000000000000' },
      { status: 'downloading' },
    );
    expect(unknown.status).toBe(404);
    expect((await manage(`/api/deployments/${mine.deploymentId}`)).body.status).toBe('starting');
  });

  it('refuses illegal transitions with 409', async () => {
    const deployment = (await config({ ...unit(5), product: 'KXP2', venue: 'CORO' })).body as ConfigResponse;
    await status(deployment, { status: 'downloading' });
    await status(deployment, { status: 'verifying' });
    const back = await status(deployment, { status: 'downloading' });
    expect(back).toMatchObject({
      status: 409,
      body: {
        message:
          'Cannot go from verifying to downloading: from verifying a unit may report verifying, customizing, failed (phases come in order, none skipped)',
      },
    });
    expect((await status(deployment, { status: 'failed', error: 'checksum mismatch at offset 4096' })).status).toBe(
      200,
    );
    expect((await status(deployment, { status: 'success' })).status).toBe(409);
    expect((await manage(`/api/deployments/${deployment.deploymentId}`)).body).toMatchObject({
      status: 'failed',
      error: 'checksum mismatch at offset 4096',
    });
  });

  it.each([
    [{ status: 'done' }, /status must be one of/],
    [{ status: 'downloading', progress: 101 }, /progress must not be greater than 100/],
    [{ status: 'downloading', progress: 'half' }, /progress must be a number/],
    [{ status: 'downloading', bytesDone: -1 }, /bytesDone must not be less than 0/],
    [{ status: 'downloading', bytesTotal: 1.5 }, /bytesTotal must be a whole number/],
    [{ status: 'downloading', message: 'x'.repeat(501) }, /message must be shorter than or equal to 500/],
    [{ status: 'downloading', error: 'x'.repeat(1001) }, /error must be shorter than or equal to 1000/],
    [{ status: 'downloading', throughput: { download: 'fast' } }, /download must be a number/],
    [{ status: 'downloading', throughput: { upload: 1 } }, /property upload should not exist/],
    [{ status: 'downloading', venue: 'x' }, /property venue should not exist/],
    [{ status: 'downloading', hostname: 'x' }, /hostname belong to a booted report only/],
    [{ status: 'downloading', deploymentId: 'abc' }, /deploymentId must be the id \/api\/config returned/],
  ])('refuses the report %j with 400', async (report, message) => {
    const deployment = (await config({ ...unit(6), product: 'KXP2', venue: 'CORO' })).body as ConfigResponse;
    const response = await status(deployment, report);
    expect(response.status).toBe(400);
    expect([response.body.message].flat().join('\n')).toMatch(message);
  });

  it.each([
    [{ serial: 'nothex', mac: unit(7).mac }, 400, /serial must be 8-16 hex digits/],
    [{ ...unit(7), storageBytes: -5 }, 400, /storageBytes must not be less than 0/],
    [{ ...unit(7), storageBytes: '32G' }, 400, /storageBytes must be a whole number/],
    [{ ...unit(7), model: 'm'.repeat(101) }, 400, /model must be shorter than or equal to 100/],
    [{ ...unit(7), product: 'KXP2', venue: 'NOPE' }, 404, /Unknown venue "NOPE"/],
    [{ ...unit(7) }, 409, /No active batch/],
    [{ ...unit(7), product: 'RXP2', venue: 'CORO' }, 503, /No active RXP2 image: upload one and activate it/],
    [{ ...unit(7), product: 'KXP2', venue: 'EMPT' }, 409, /No free kart number left in the pool of EMPT/],
  ])('answers the config request %j with %i', async (body, code, message) => {
    const response = await config(body);
    expect(response.status).toBe(code);
    expect([response.body.message].flat().join('\n')).toMatch(message);
  });

  it('assigns no hostname when the product has no active image', async () => {
    expect((await manage('/api/hostnames?venue=CORO&product=RXP2')).body).toEqual([]);
  });

  it('gives a restarted unit the same hostname and ends its old deployment', async () => {
    const first = (await config({ ...unit(8), product: 'KXP2', venue: 'CORO' })).body as ConfigResponse;
    await status(first, { status: 'downloading', progress: 40 });
    const second = (await config({ ...unit(8), product: 'KXP2', venue: 'CORO' })).body as ConfigResponse;
    expect(second.hostname).toBe(first.hostname);
    expect(second.deploymentId).not.toBe(first.deploymentId);
    expect((await manage(`/api/deployments/${first.deploymentId}`)).body).toMatchObject({
      status: 'failed',
      message: 'restarted',
    });
    expect((await status(first, { status: 'downloading' })).status).toBe(409);
  });

  it('stores every report of a burst and answers each only once it is stored', async () => {
    const units = await Promise.all(
      [14, 15, 16].map(
        async (n) => (await config({ ...unit(n), product: 'KXP2', venue: 'CORO' })).body as ConfigResponse,
      ),
    );
    // All at once: they reach the server in the same moments and are written together.
    const answers = await Promise.all(
      units.flatMap((deployment) =>
        Array.from({ length: 15 }, (_, i) => status(deployment, { status: 'downloading', progress: i + 1 })),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    for (const deployment of units) {
      const detail = (await manage(`/api/deployments/${deployment.deploymentId}`)).body;
      const progresses = detail.events.slice(1).map((e: { progress: number }) => e.progress);
      expect([...progresses].sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(detail.progress).toBe(progresses.at(-1));
    }

    // A burst that ends the deployment: what came after the end is refused and not stored.
    const [ending] = units;
    const burst = await Promise.all([
      status(ending, { status: 'failed', error: 'card pulled out' }),
      ...Array.from({ length: 5 }, () => status(ending, { status: 'customizing' })),
    ]);
    expect(burst[0].status).toBe(200);
    expect(burst.every((answer) => answer.status === 200 || answer.status === 409)).toBe(true);
    const detail = (await manage(`/api/deployments/${ending.deploymentId}`)).body;
    expect(detail.status).toBe('failed');
    const statuses = detail.events.map((e: { status: string }) => e.status);
    expect(statuses.at(-1)).toBe('failed');
    expect(statuses.length).toBe(1 + 15 + burst.filter((answer) => answer.status === 200).length);
  });

  it('marks a deployment that goes silent as failed with "no report"', async () => {
    const deployment = (await config({ ...unit(9), product: 'KXP2', venue: 'CORO' })).body as ConfigResponse;
    await status(deployment, { status: 'downloading', progress: 5 });
    let view: DeploymentDto | undefined;
    for (let i = 0; i < 40; i += 1) {
      view = (await manage(`/api/deployments/${deployment.deploymentId}`)).body;
      if (view!.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(view).toMatchObject({ status: 'failed', message: 'no report', error: 'no report for 2 s' });
  });

  it('writes one line per event to the daily log file', () => {
    const files = readdirSync(join(t.dataDir, 'logs'));
    expect(files).toEqual([`deployment_${new Date().toISOString().slice(0, 10).replace(/-/g, '')}.log`]);
    const lines = readFileSync(join(t.dataDir, 'logs', files[0]), 'utf8')
      .trim()
      .split('\n');
    const success = lines.find((line) => line.includes('\tsuccess\t'))!.split('\t');
    expect(success).toEqual([
      expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      '127.0.0.1',
      'KXP2-CORO-002',
      unit(2).serial,
      'success',
      'ready',
    ]);
  });

  it('lists the history with filters and paging', async () => {
    const all = (await manage('/api/deployments?pageSize=500')).body;
    expect(all.total).toBeGreaterThanOrEqual(8);
    const succeeded = (await manage('/api/deployments?status=success')).body;
    expect(succeeded.items.map((d: DeploymentDto) => d.serial)).toEqual([unit(2).serial]);
    expect((await manage('/api/deployments?venue=coro&product=KXP2&pageSize=500')).body.total).toBe(all.total);
    expect((await manage('/api/deployments?product=RXP2')).body.total).toBe(0);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await manage(`/api/deployments?from=${future}`)).body.total).toBe(0);
    expect((await manage(`/api/deployments?to=${future}&pageSize=500`)).body.total).toBe(all.total);
    const page1 = (await manage('/api/deployments?pageSize=2&page=1')).body;
    const page2 = (await manage('/api/deployments?pageSize=2&page=2')).body;
    expect(page1.items).toHaveLength(2);
    expect(page2).toMatchObject({ page: 2, pageSize: 2, total: all.total });
    expect(page1.items.map((d: DeploymentDto) => d.id)).not.toContain(page2.items[0].id);
    for (const bad of ['status=nope', 'page=0', 'pageSize=1000', 'from=yesterday', 'venue=TOOLONG']) {
      expect((await manage(`/api/deployments?${bad}`)).status).toBe(400);
    }
    expect((await manage('/api/deployments/not-a-uuid')).status).toBe(400);
  });

  it('sorts the whole history, not just a page, by any column both ways', async () => {
    const all = (await manage('/api/deployments?pageSize=500')).body.items as DeploymentDto[];
    const seconds = (d: DeploymentDto) => (d.finishedAt ? Date.parse(d.finishedAt) - Date.parse(d.startedAt) : null);
    const sorted = async (query: string) => {
      const first = (await manage(`/api/deployments?${query}&pageSize=3&page=1`)).body.items as DeploymentDto[];
      const rest = (await manage(`/api/deployments?${query}&pageSize=500`)).body.items as DeploymentDto[];
      expect(first.map((d) => d.id)).toEqual(rest.slice(0, 3).map((d) => d.id)); // paging agrees
      return rest;
    };
    const hostnames = (await sorted('sort=hostname')).map((d) => d.hostname);
    expect(hostnames).toEqual([...hostnames].sort());
    const descending = (await sorted('sort=hostname&order=desc')).map((d) => d.hostname);
    expect(descending).toEqual([...hostnames].reverse());
    const byStatus = (await sorted('sort=status&order=asc')).map((d) => d.status);
    expect(byStatus).toEqual([...byStatus].sort());
    const byDuration = await sorted('sort=duration&order=desc');
    const finished = byDuration.filter((d) => d.finishedAt);
    expect(finished.length).toBeGreaterThan(1);
    expect(finished.map(seconds)).toEqual(finished.map(seconds).sort((a, b) => b! - a!));
    // Running deployments have no duration: last, whichever the direction.
    expect(byDuration.slice(finished.length).every((d) => d.finishedAt === null)).toBe(true);
    expect((await sorted('sort=duration&order=asc')).slice(finished.length).every((d) => !d.finishedAt)).toBe(true);
    expect((await sorted('sort=startedAt')).map((d) => d.id)).toEqual(all.map((d) => d.id));
    for (const bad of ['sort=serial', 'order=up', 'sort=']) {
      expect((await manage(`/api/deployments?${bad}`)).status).toBe(400);
    }
  });

  it('pushes coalesced deployment.updated events to logged-in dashboards', async () => {
    const socket = io(t.management, { transports: ['websocket'], auth: { token }, reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const seen: DeploymentDto[] = [];
    socket.on(SOCKET_EVENTS.deploymentUpdated, (view: DeploymentDto) => seen.push(view));
    try {
      const deployment = (await config({ ...unit(10), product: 'KXP2', venue: 'CORO' })).body as ConfigResponse;
      for (let progress = 1; progress <= 40; progress += 1)
        await status(deployment, { status: 'downloading', progress });
      await status(deployment, { status: 'verifying' });
      await status(deployment, { status: 'customizing' });
      await status(deployment, { status: 'success' });
      for (let i = 0; i < 40 && !seen.some((v) => v.status === 'success'); i += 1)
        await new Promise((r) => setTimeout(r, 50));
      const mine = seen.filter((view) => view.id === deployment.deploymentId);
      expect(mine.at(-1)).toMatchObject({ status: 'success', progress: 100 });
      expect(mine.length).toBeLessThan(41);
      expect(mine.map((view) => view.progress)).toEqual([...mine.map((view) => view.progress)].sort((a, b) => a - b));
    } finally {
      socket.close();
    }
  });

  it('computes statistics from the history', async () => {
    const response = await manage('/api/deployments/stats');
    expect(response.status).toBe(200);
    const all = (await manage('/api/deployments?pageSize=500')).body.items as DeploymentDto[];
    const successes = all.filter((d) => d.status === 'success').length;
    const failures = all.filter((d) => d.status === 'failed').length;
    expect(response.body.today).toEqual({
      total: all.length,
      success: successes,
      failed: failures,
      inProgress: all.length - successes - failures,
    });
    expect(response.body.last30Days).toEqual(response.body.today);
    expect(response.body.successRate).toBeCloseTo(successes / (successes + failures));
    expect(response.body.medianDurationSeconds).toBeGreaterThanOrEqual(0);
    expect(response.body.perVenue).toEqual([expect.objectContaining({ venue: 'CORO', total: all.length })]);
  });

  it('exports the filtered history as CSV, safe for spreadsheets', async () => {
    const response = await fetch(`${t.management}/api/deployments/export.csv?status=failed`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toMatch(/attachment; filename="deployments.csv"/);
    const lines = (await response.text()).trim().split('\r\n');
    expect(lines[0]).toBe(
      'id,started_at,finished_at,status,hostname,product,venue,serial,mac,ip,model,image_version,progress,bytes_total,bytes_fetched,bytes_written,chunks_reused,chunks_total,boot,booted_at,seconds_to_boot,boot_hostname,message,error',
    );
    const failed = (await manage('/api/deployments?status=failed&pageSize=500')).body.total;
    expect(lines).toHaveLength(failed + 1);
    expect(lines.slice(1).every((line) => line.split(',')[3] === 'failed')).toBe(true);
    const dangerous = (await config({ ...unit(11), product: 'KXP2', venue: 'CORO' })).body as ConfigResponse;
    await status(dangerous, { status: 'failed', error: '=HYPERLINK("http://evil","x"), more' });
    const csv = await (
      await fetch(`${t.management}/api/deployments/export.csv?status=failed`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).text();
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"",""x""), more"`);
    expect((await fetch(`${t.management}/api/deployments/export.csv`)).status).toBe(401);
  });

  it('keeps venues with deployment history from being deleted', async () => {
    for (const hostname of (await manage('/api/hostnames?venue=CORO&status=assigned')).body) {
      await manage(`/api/hostnames/${hostname.hostname}/release`, 'POST');
    }
    const response = await manage('/api/venues/CORO', 'DELETE');
    expect(response).toMatchObject({
      status: 409,
      body: { message: 'Venue CORO has deployments in its history and cannot be deleted' },
    });
    expect((await manage('/api/venues/CORO')).status).toBe(200);
  });

  it('carries the open deployments over a restart of the server', async () => {
    const running = (await config({ ...unit(12), product: 'KXP2', venue: 'CORO' })).body as ConfigResponse;
    const restarted = (await config({ ...unit(13), product: 'KXP2', venue: 'CORO' })).body as ConfigResponse;
    await status(running, { status: 'downloading', progress: 80 });
    await status(running, { status: 'verifying', progress: 90 });
    await t.close({ keepData: true });
    t = await bootTestServer(env, t.dataDir);
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;

    expect((await status(running, { status: 'downloading' })).body).toMatchObject({
      message: expect.stringMatching(/^Cannot go from verifying to downloading: /),
    });
    expect((await status(running, { status: 'customizing', progress: 95 })).status).toBe(200);
    await config({ ...unit(13), product: 'KXP2', venue: 'CORO' });
    expect((await manage(`/api/deployments/${restarted.deploymentId}`)).body).toMatchObject({
      status: 'failed',
      message: 'restarted',
    });
    expect((await manage(`/api/deployments/${running.deploymentId}`)).body).toMatchObject({
      status: 'customizing',
      progress: 95,
    });
  });
});

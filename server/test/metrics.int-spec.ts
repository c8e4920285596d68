import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getMetricsFromIterator, type PromData, type PromHistogramData, type PromMetrics } from 'prom2javascript';
import type { ChunkManifest, ConfigResponse } from '@rpi-deploy/contracts';
import { uploadImage } from '@rpi-deploy/test-kit';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

const METRICS_TOKEN = 'metrics-test-token-7d1c0f5e';
/** What Prometheus sends: any type is fine, so the dashboard's HTML fallback must not answer. */
const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
const IMAGE_BYTES = 3 * 1024 * 1024;
const DASHBOARD = resolve(__dirname, '../../infra/monitoring/grafana-dashboard.json');

const unit = (n: number) => ({
  serial: `30000000${n.toString(16).padStart(8, '0')}`,
  mac: `2c:cf:67:10:00:${n.toString(16).padStart(2, '0')}`,
  product: 'KXP2',
  venue: 'METR',
});

/** One scrape, parsed by a real Prometheus text parser, with lookups by name and labels. */
class Scrape {
  constructor(readonly metrics: PromMetrics) {}

  static async of(text: string): Promise<Scrape> {
    // prom-client writes an empty event-loop histogram's mean as `Nan` (right after the previous
    // scrape reset it). Prometheus reads that (Go's ParseFloat ignores case); this parser reads no
    // NaN at all, so those lines are left out, and only those may be NaN.
    const lines = text.split('\n');
    const notANumber = lines.filter((line) => / Nan$/i.test(line));
    expect(notANumber.filter((line) => !line.startsWith('nodejs_eventloop_lag_'))).toEqual([]);
    const numbers = lines.filter((line) => !notANumber.includes(line));
    return new Scrape(await getMetricsFromIterator(numbers[Symbol.iterator]()));
  }

  names(): string[] {
    return Object.keys(this.metrics);
  }

  series(name: string): Array<{ labels: Record<string, string> }> {
    const found = this.metrics[name];
    if (!found) throw new Error(`/metrics has no ${name}`);
    return found.data;
  }

  /** A counter's or gauge's value; the sum over series when several match. */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.matching<PromData>(name, 'counter', 'gauge', labels).reduce((total, one) => total + one.value, 0);
  }

  histogramCount(name: string, labels: Record<string, string> = {}): number {
    return this.matching<PromHistogramData>(name, 'histogram', 'histogram', labels).reduce(
      (total, one) => total + one.count,
      0,
    );
  }

  histogramSum(name: string, labels: Record<string, string> = {}): number {
    return this.matching<PromHistogramData>(name, 'histogram', 'histogram', labels).reduce(
      (total, one) => total + (one.sum ?? NaN),
      0,
    );
  }

  private matching<T extends { labels: Record<string, string> }>(
    name: string,
    type: string,
    otherType: string,
    labels: Record<string, string>,
  ): T[] {
    expect([type, otherType]).toContain(this.metrics[name]?.type);
    return (this.series(name) as T[]).filter((one) =>
      Object.entries(labels).every(([key, value]) => one.labels[key] === value),
    );
  }
}

describe.each(testDatabases())('metrics on $name', (database) => {
  let t: TestServer;
  let admin: string;
  let viewer: string;
  let work: string;

  const scrapeText = async (authorization = `Bearer ${METRICS_TOKEN}`) => {
    const response = await fetch(`${t.management}/metrics`, { headers: { authorization, accept: PROMETHEUS_ACCEPT } });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  };
  const scrape = async () => {
    const { status, text } = await scrapeText();
    expect(status).toBe(200);
    return Scrape.of(text);
  };
  const config = async (n: number) => {
    const response = await api(t.deployment, '/api/config', { method: 'POST', body: unit(n) });
    expect(response.status).toBe(200);
    return response.body as ConfigResponse;
  };
  const report = async (deployment: ConfigResponse, body: object) => {
    const response = await api(t.deployment, '/api/status', {
      method: 'POST',
      body: { deploymentId: deployment.deploymentId, ...body },
      headers: { authorization: `Bearer ${deployment.statusToken}` },
    });
    expect(response.status).toBe(200);
  };
  /** The body's length as received, checked against what the response said it would be. */
  const download = async (url: string, range?: string) => {
    const response = await fetch(url, { headers: range ? { range } : {} });
    expect(response.status).toBe(range ? 206 : 200);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.length).toBe(Number(response.headers.get('content-length')));
    return body.length;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'metrics-test-'));
    t = await bootTestServer({
      DATABASE_URL: await database.create(),
      METRICS_TOKEN,
      // Random bytes do not compress: the fastest level keeps the upload short.
      CHUNK_ZSTD_LEVEL: '1',
    });
    admin = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    const manage = (path: string, body: unknown) => api(t.management, path, { method: 'POST', token: admin, body });
    expect(
      (await manage('/api/users', { username: 'watcher', password: 'watcher-password-1', role: 'viewer' })).status,
    ).toBe(201);
    viewer = (await login(t.management, 'watcher', 'watcher-password-1')).accessToken;
    await manage('/api/venues', { code: 'METR', name: 'Metrics' });
    await manage('/api/venues/METR/karts', { from: 1, to: 20 });
    const file = join(work, 'image.img');
    writeFileSync(file, randomBytes(IMAGE_BYTES));
    await uploadImage(t.management, admin, { filePath: file, product: 'KXP2', version: '1.0.0', activate: true });
  });

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('is for METRICS_TOKEN and admins only: 401 without a token or with a wrong one, 403 for a viewer', async () => {
    const none = await fetch(`${t.management}/metrics`, { headers: { accept: PROMETHEUS_ACCEPT } });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { message: string }).message).toContain('METRICS_TOKEN');
    expect((await scrapeText('Bearer not-the-metrics-token')).status).toBe(401);
    expect((await scrapeText(`Bearer ${METRICS_TOKEN}x`)).status).toBe(401);
    expect((await scrapeText(`Bearer ${viewer}`)).status).toBe(403);
    const byToken = await scrapeText();
    expect(byToken).toMatchObject({ status: 200, type: expect.stringContaining('text/plain') });
    expect(byToken.text).toContain('# TYPE rpi_deploy_installs_started_total counter');
    expect((await scrapeText(`Bearer ${admin}`)).status).toBe(200);
    // Not on the deployment VLAN at all.
    expect(
      (await fetch(`${t.deployment}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status,
    ).toBe(404);
  });

  it('counts installs started, succeeded and failed by cause, units per phase, phase durations and group commits', async () => {
    const before = await scrape();
    const succeeding = await config(1);
    for (const status of ['downloading', 'verifying', 'customizing', 'success']) await report(succeeding, { status });
    const failing = await config(2);
    await report(failing, { status: 'downloading', progress: 10 });
    await report(failing, { status: 'downloading', progress: 20 });
    await report(failing, { status: 'failed', error: 'card write failed' });
    await config(3);
    const restarted = await config(3); // the same unit again: its first deployment fails as restarted
    await report(restarted, { status: 'downloading' });
    const after = await scrape();

    const moved = (name: string, labels?: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels);
    expect(moved('rpi_deploy_installs_started_total')).toBe(4);
    expect(moved('rpi_deploy_installs_succeeded_total')).toBe(1);
    expect(moved('rpi_deploy_installs_failed_total', { cause: 'installer', phase: 'downloading' })).toBe(1);
    expect(moved('rpi_deploy_installs_failed_total', { cause: 'restarted', phase: 'starting' })).toBe(1);
    expect(moved('rpi_deploy_installs_failed_total')).toBe(2);
    expect(after.value('rpi_deploy_units', { status: 'downloading' })).toBe(1);
    expect(after.value('rpi_deploy_units', { status: 'starting' })).toBe(0);
    expect(after.series('rpi_deploy_units')).toHaveLength(4);

    // Phases left: unit 1 left all four, unit 2 starting and downloading, unit 3's first starting,
    // the restarted one starting. A repeated phase (progress) is not a change of phase.
    const left = (phase: string) =>
      after.histogramCount('rpi_deploy_phase_duration_seconds', { phase }) -
      before.histogramCount('rpi_deploy_phase_duration_seconds', { phase });
    expect({
      starting: left('starting'),
      downloading: left('downloading'),
      verifying: left('verifying'),
      customizing: left('customizing'),
    }).toEqual({ starting: 4, downloading: 2, verifying: 1, customizing: 1 });

    // Each report was awaited before the next: one group commit each, of one report.
    const commits = (scrape: Scrape, name: string) => scrape.histogramCount(name);
    expect(
      commits(after, 'rpi_deploy_status_commit_duration_seconds') -
        commits(before, 'rpi_deploy_status_commit_duration_seconds'),
    ).toBe(8);
    expect(
      after.histogramSum('rpi_deploy_status_commit_reports') - before.histogramSum('rpi_deploy_status_commit_reports'),
    ).toBe(8);
    expect(after.histogramSum('rpi_deploy_status_commit_duration_seconds')).toBeGreaterThan(0);

    const requests = (scrape: Scrape, route: string) =>
      scrape.histogramCount('rpi_deploy_http_request_duration_seconds', {
        method: 'POST',
        route,
        status: '200',
        listener: 'deployment',
      });
    expect(requests(after, '/api/status') - requests(before, '/api/status')).toBe(8);
    expect(requests(after, '/api/config') - requests(before, '/api/config')).toBe(4);
  });

  it('counts the bytes the deployment listener served, ranges and download workers included, by kind', async () => {
    const deployment = await config(4);
    const before = await scrape();
    let image = 0;
    image += await download(deployment.image.url); // whole body: a download worker sends it
    image += await download(deployment.image.url, 'bytes=1000-1500999'); // large range: a worker
    image += await download(deployment.image.url, 'bytes=5-4100'); // small range: in the process
    const blockMap = await download(deployment.image.bmapUrl!);
    const manifest = (await (await fetch(deployment.image.manifestUrl!)).json()) as ChunkManifest;
    const chunk = await download(`${manifest.chunkBaseUrl}/${manifest.chunks[0].sha256}.zst`);
    await fetch(deployment.image.url, { method: 'HEAD' }); // no body, nothing counted
    const after = await scrape();

    expect(image).toBe(IMAGE_BYTES + 1_500_000 + 4096);
    const served = (kind: string) =>
      after.value('rpi_deploy_served_bytes_total', { kind, source: 'server' }) -
      before.value('rpi_deploy_served_bytes_total', { kind, source: 'server' });
    expect({ image: served('image'), block_map: served('block_map'), chunk: served('chunk') }).toEqual({
      image,
      block_map: blockMap,
      chunk,
    });
    // Labelled by the route's pattern, never by the file asked for.
    const routes = after.series('rpi_deploy_http_request_duration_seconds').map((one) => one.labels['route']);
    expect(routes).toContain('/images/:file');
    expect(routes.filter((route) => route?.includes('.img'))).toEqual([]);
    expect(
      after.histogramCount('rpi_deploy_http_request_duration_seconds', { route: '/images/:file', status: '206' }) -
        before.histogramCount('rpi_deploy_http_request_duration_seconds', { route: '/images/:file', status: '206' }),
    ).toBe(2);
  });

  it('shows the bytes received of an upload in progress, and nothing once it is stored', async () => {
    const first = randomBytes(1024 * 1024);
    const rest = randomBytes(512 * 1024);
    const upload = startUpload(t.management, admin, { product: 'RXP2', version: '9.9.9' }, first.length + rest.length);
    upload.write(first);
    let during = await scrape();
    const deadline = Date.now() + 10_000;
    // Announced at most twice a second; the multipart parser may still hold back a boundary's length.
    while (during.value('rpi_deploy_upload_received_bytes') < first.length - 256 && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 100));
      during = await scrape();
    }
    expect(during.value('rpi_deploy_uploads_in_progress')).toBe(1);
    expect(during.value('rpi_deploy_upload_received_bytes')).toBeGreaterThanOrEqual(first.length - 256);
    expect(during.value('rpi_deploy_upload_received_bytes')).toBeLessThanOrEqual(first.length);
    expect(during.value('rpi_deploy_upload_expected_bytes')).toBe(upload.contentLength);
    expect(await upload.finish(rest)).toBe(201);
    const after = await scrape();
    expect(after.value('rpi_deploy_uploads_in_progress')).toBe(0);
    expect(after.value('rpi_deploy_upload_received_bytes')).toBe(0);
  });

  it('exposes the event-loop lag and process figures (prom-client default metrics)', async () => {
    const now = await scrape();
    // Measured at the scrape itself (one setImmediate); the percentiles cover the time since the last scrape.
    expect(now.value('nodejs_eventloop_lag_seconds')).toBeGreaterThan(0);
    expect(now.names()).toContain('nodejs_eventloop_lag_p99_seconds');
    expect(now.value('process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('has a Grafana dashboard that uses only metrics /metrics exposes', async () => {
    const exposed = new Set((await scrape()).names());
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const expressions = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    expect(expressions.length).toBeGreaterThan(10);
    // Metric names: what is left once label matchers, grouping clauses, functions, numbers and
    // Grafana's variables are taken out of the PromQL.
    const used = new Set(
      expressions.flatMap((expr) => {
        const bare = expr
          .replace(/\{[^}]*\}/g, ' ')
          .replace(/\b(by|without)\s*\([^)]*\)/g, ' ')
          .replace(/\[[^\]]*\]/g, ' ')
          .replace(/\b[a-z_]+\s*\(/g, ' ');
        return bare.match(/\b[a-z_][a-z0-9_]*\b/g) ?? [];
      }),
    );
    const missing = [...used].filter(
      (name) => !exposed.has(name) && !exposed.has(name.replace(/_(bucket|sum|count)$/, '')),
    );
    expect(used.size).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });
});

/** A multipart image upload sent in steps, to look at the server while it is half-way. */
function startUpload(management: string, token: string, fields: Record<string, string>, fileBytes: number) {
  const boundary = `metrics-test-${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    Object.entries(fields)
      .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="image.img"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const contentLength = head.length + fileBytes + tail.length;
  const request = httpRequest(`${management}/api/images`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': contentLength,
    },
  });
  const answered = new Promise<number>((done, fail) => {
    request.on('error', fail);
    request.on('response', (response: IncomingMessage) => {
      response.resume();
      response.on('end', () => done(response.statusCode ?? 0));
    });
  });
  request.write(head);
  return {
    contentLength,
    write: (bytes: Buffer) => request.write(bytes),
    finish: (bytes: Buffer) => {
      request.end(Buffer.concat([bytes, tail]));
      return answered;
    },
  };
}

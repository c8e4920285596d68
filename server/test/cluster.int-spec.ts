/**
 * Two instances on one PostgreSQL (issue 21): two real server processes started at the same
 * moment on an empty database, images in one S3 store (s3rver), requests alternating between
 * them as a round-robin load balancer sends them. On SQLite a second process on the same data
 * is refused instead.
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Client } from 'pg';
import { io, type Socket } from 'socket.io-client';
import {
  CHUNK_GRID_BYTES,
  DEPLOYMENT_STATUSES,
  SOCKET_EVENTS,
  type ChunkManifest,
  type ConfigResponse,
  type DeploymentsUpdatedEvent,
  type ImageDto,
} from '@rpi-deploy/contracts';
import { freePort, startTestS3, type TestS3Server } from '@rpi-deploy/test-kit';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { MIGRATIONS } from '../src/database/migrations';
import {
  CLUSTER_ADMIN_PASSWORD,
  CLUSTER_START_TIMEOUT_MS,
  startCluster,
  type Cluster,
  type Instance,
} from './support/cluster';
import { configure, detail, report } from './support/cluster-units';
import { spawnServer, type ServerProcess } from './support/server-process';
import { api, login } from './support/test-server';
import { testDatabases } from './support/test-databases';

jest.setTimeout(120_000);

const SILENCE_SECONDS = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const phaseOf = (status: string) => DEPLOYMENT_STATUSES.indexOf(status as never);

const [sqlite, postgres] = testDatabases();

describe('a second server process on the same SQLite data', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cluster-sqlite-'));
  let first: ServerProcess | undefined;
  afterAll(async () => {
    first?.child.kill('SIGTERM');
    await first?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`is refused with what to do instead (${sqlite!.name} serves one instance)`, async () => {
    const ports = async () => ({ management: await freePort(), deployment: await freePort() });
    const env = { DATA_DIR: dataDir, ADMIN_PASSWORD: CLUSTER_ADMIN_PASSWORD };
    first = await spawnServer(env, await ports(), CLUSTER_START_TIMEOUT_MS);
    await expect(spawnServer(env, await ports(), CLUSTER_START_TIMEOUT_MS)).rejects.toThrow(
      /already uses the SQLite database in .*run several instances on PostgreSQL \(DATABASE_URL\)/s,
    );
    expect((await fetch(`${first.management}/api/health`)).status).toBe(200);
  });
});

describe('two instances on one PostgreSQL and one S3 store', () => {
  let s3: TestS3Server;
  let databaseUrl: string;
  let storeUrl: string;
  let cluster: Cluster;
  let a: Instance;
  let b: Instance;
  let token: string;
  let work: string;
  let image: ImageDto;

  const sql = async <T>(text: string, values: unknown[] = []): Promise<T[]> => {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as T[];
    } finally {
      await client.end();
    }
  };
  const upload = async (on: Instance, version: string, bytes: number, content = randomBytes(bytes)) => {
    const file = join(work, `image-${version}.img`);
    writeFileSync(file, content);
    const answer = await uploadMultipart({
      url: `${on.management}/api/images`,
      token,
      fields: { product: 'KXP2', version },
      filePath: file,
    });
    expect(answer.status).toBe(201);
    return answer.body as ImageDto;
  };
  /** A multipart image upload sent in parts: `send(n)` sends up to byte n of the image, `send()` the rest. */
  const startUpload = (on: Instance, version: string, content: Buffer) => {
    const boundary = 'cluster-test-boundary';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="product"\r\n\r\nKXP2\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="version"\r\n\r\n${version}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="image.img"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const request = httpRequest(`${on.management}/api/images`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + content.length + tail.length,
      },
    });
    const answer = new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      request.on('error', reject);
      request.on('response', (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () =>
          resolve({ status: response.statusCode!, body: JSON.parse(Buffer.concat(parts).toString()) }),
        );
      });
    });
    request.write(head);
    let sent = 0;
    return {
      answer,
      send: (upTo = content.length) =>
        new Promise<void>((resolve) => {
          const part = content.subarray(sent, upTo);
          sent = upTo;
          if (sent < content.length) request.write(part, () => resolve());
          else request.end(Buffer.concat([part, tail]), () => resolve());
        }),
    };
  };
  /** The keys the bucket holds under the cluster's prefix. */
  const storedKeys = async (): Promise<string[]> => {
    const url = new URL(storeUrl);
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: url.searchParams.get('endpoint')!,
      forcePathStyle: true,
    });
    const prefix = url.pathname.slice(1);
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: url.hostname, Prefix: `${prefix}/` }));
      return (listed.Contents ?? []).map((object) => object.Key!.slice(prefix.length + 1));
    } finally {
      client.destroy();
    }
  };
  /** A third instance started and stopped: it sweeps what no image and no download holds as it starts. */
  const sweeper = async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cluster-C-'));
    const env = { DATABASE_URL: databaseUrl, IMAGE_STORE_URL: storeUrl, DATA_DIR: dataDir };
    const ports = { management: await freePort(), deployment: await freePort() };
    const c = await spawnServer(env, ports, CLUSTER_START_TIMEOUT_MS);
    c.child.kill('SIGTERM');
    await c.exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  const venue = async (code: string, karts: number) => {
    expect((await api(a.management, '/api/venues', { method: 'POST', token, body: { code, name: code } })).status).toBe(
      201,
    );
    const added = await api(b.management, `/api/venues/${code}/karts`, {
      method: 'POST',
      token,
      body: { from: 1, to: karts },
    });
    expect(added.status).toBe(200);
  };
  const configured = async (on: Instance, n: number, code: string): Promise<ConfigResponse> => {
    const answer = await configure(on.deployment, n, code);
    expect(answer.status).toBe(200);
    return answer.body as ConfigResponse;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'cluster-work-'));
    s3 = await startTestS3();
    databaseUrl = (await postgres!.create())!;
    storeUrl = s3.storeUrl(`cluster-${process.pid}`);
    cluster = await startCluster(databaseUrl, {
      IMAGE_STORE_URL: storeUrl,
      DEPLOYMENT_SILENCE_TIMEOUT_SECONDS: String(SILENCE_SECONDS),
    });
    [a, b] = cluster.instances;
    token = (await login(a.management, 'admin', CLUSTER_ADMIN_PASSWORD)).accessToken;
  });
  afterAll(async () => {
    await cluster?.stop();
    await postgres!.dropAll();
    await s3?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('start together on an empty database: every migration ran once and there is one first admin', async () => {
    const ran = await sql<{ name: string; times: string }>(
      'SELECT name, COUNT(*) AS times FROM migrations GROUP BY name',
    );
    expect(ran).toHaveLength(MIGRATIONS.length);
    expect(ran.every((row) => Number(row.times) === 1)).toBe(true);
    expect(await sql('SELECT username FROM users')).toEqual([{ username: 'admin' }]);
    // A token from A is good on B: the signing secret is shared through the database.
    expect((await api(b.management, '/api/users', { token })).status).toBe(200);
  });

  it('stores an upload on A in the object store and serves it from B', async () => {
    image = await upload(a, '1.0.0', 3 * 2 ** 20);
    expect((await api(b.management, `/api/images/${image.id}/activate`, { method: 'POST', token })).status).toBe(200);
    const whole = Buffer.from(await (await fetch(`${b.deployment}/images/${image.filename}`)).arrayBuffer());
    expect(createHash('sha256').update(whole).digest('hex')).toBe(image.sha256);
    const manifest = (await (await fetch(`${b.deployment}/images/${image.filename}.chunks`)).json()) as ChunkManifest;
    expect(manifest.chunks.length).toBeGreaterThan(0);
    for (const chunk of manifest.chunks) {
      expect((await fetch(`${b.deployment}/chunks/${chunk.sha256}.zst`)).status).toBe(200);
    }
  });

  it('gives 200 units asking at once for 50 numbers 50 distinct hostnames and 150 409s', async () => {
    await venue('RUSH', 50);
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, n) => configure(cluster.next().deployment, 1000 + n, 'RUSH')),
    );
    const ok = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status === 409);
    expect(ok).toHaveLength(50);
    expect(new Set(ok.map((answer) => (answer.body as ConfigResponse).hostname)).size).toBe(50);
    expect(refused).toHaveLength(150);
    expect(new Set(refused.map((answer) => answer.body.message))).toEqual(
      new Set(['No free kart number left in the pool of RUSH: import more with POST /api/venues/RUSH/karts']),
    );
    const [{ open }] = await sql<{ open: string }>(
      "SELECT COUNT(*) AS open FROM deployments d JOIN venues v ON v.id = d.venue_id WHERE v.code = 'RUSH'",
    );
    expect(Number(open)).toBe(50);
  });

  it('never moves a phase backwards, whichever instance a report reaches and in whatever order', async () => {
    await venue('PHAS', 20);
    const units = await Promise.all(Array.from({ length: 20 }, (_, n) => configured(cluster.next(), 2000 + n, 'PHAS')));
    const late: number[] = [];
    await Promise.all(
      units.map(async (config) => {
        for (let progress = 0; progress <= 100; progress += 20) {
          expect((await report(cluster.next().deployment, config, 'downloading', progress)).status).toBe(200);
        }
        // A late download report and the next phase race to the two instances: the one applied second
        // after verifying is refused, never applied over it.
        const [stale, next] = await Promise.all([
          report(a.deployment, config, 'downloading', 100),
          report(b.deployment, config, 'verifying', 0),
        ]);
        expect(next.status).toBe(200);
        expect([200, 409]).toContain(stale.status);
        if (stale.status === 409) late.push(1);
        // Out of order: the earlier phase arriving after the later one is refused on either instance.
        expect((await report(a.deployment, config, 'customizing')).status).toBe(200);
        expect((await report(b.deployment, config, 'verifying', 100)).status).toBe(409);
        expect((await report(a.deployment, config, 'downloading', 100)).status).toBe(409);
        expect((await report(b.deployment, config, 'success')).status).toBe(200);
        expect((await report(a.deployment, config, 'customizing')).status).toBe(409);
      }),
    );
    for (const config of units) {
      const found = await detail(cluster.next().management, token, config.deploymentId);
      expect(found.status).toBe('success');
      const phases = found.events.map((event) => phaseOf(event.status));
      expect(phases).toEqual([...phases].sort((x, y) => x - y));
    }
    process.stdout.write(`[cluster] phases: ${late.length} of ${units.length} late reports refused after the race\n`);
  });

  it('shows a dashboard on A a report made on B within a second', async () => {
    await venue('LIVE', 1);
    const socket = await connect(a.management, token);
    try {
      const config = await configured(a, 3000, 'LIVE');
      const seen = new Promise<number>((resolve) => {
        socket.on(SOCKET_EVENTS.deploymentsUpdated, (batch: DeploymentsUpdatedEvent) => {
          const view = batch.find((one) => one.id === config.deploymentId);
          if (view?.status === 'downloading' && view.progress === 42) resolve(performance.now());
        });
      });
      const sent = performance.now();
      expect((await report(b.deployment, config, 'downloading', 42)).status).toBe(200);
      const at = await Promise.race([seen, sleep(1000).then(() => undefined)]);
      expect(at).toBeDefined();
      process.stdout.write(`[cluster] report on B seen on A's socket after ${(at! - sent).toFixed(0)} ms\n`);
    } finally {
      socket.close();
    }
  });

  it("relays B's reports to a dashboard on A in fewer adapter messages than reports, in B's order", async () => {
    const UNITS = 30;
    const REPORTS = ['downloading', 'verifying', 'customizing', 'success'] as const;
    await venue('RLAY', UNITS);
    const units = await Promise.all(Array.from({ length: UNITS }, (_, n) => configured(b, 4000 + n, 'RLAY')));
    const ids = new Set(units.map((unit) => unit.deploymentId));
    const socket = await connect(a.management, token);
    // What goes over PostgreSQL from B to A: one NOTIFY per adapter message (a large one points to a row).
    const listener = new Client({ connectionString: databaseUrl });
    await listener.connect();
    let notifications = 0;
    listener.on('notification', () => (notifications += 1));
    await listener.query('LISTEN "socket.io#/"');
    const seen = new Map<string, string[]>();
    socket.on(SOCKET_EVENTS.deploymentUpdated, (view: { id: string; status: string }) => {
      if (ids.has(view.id)) seen.set(view.id, [...(seen.get(view.id) ?? []), view.status]);
    });
    try {
      // Every unit goes through its phases at once: a tick's views make a message too large for
      // a NOTIFY (fetched from a table), the final statuses small ones sent right after.
      await Promise.all(
        units.map(async (unit) => {
          for (const status of REPORTS) expect((await report(b.deployment, unit, status, 100)).status).toBe(200);
        }),
      );
      const deadline = performance.now() + 5000;
      while ([...ids].some((id) => seen.get(id)?.at(-1) !== 'success') && performance.now() < deadline) await sleep(50);
      for (const id of ids) {
        const statuses = seen.get(id) ?? [];
        expect(statuses.at(-1)).toBe('success');
        expect(statuses.map(phaseOf)).toEqual(statuses.map(phaseOf).sort((x, y) => x - y));
      }
      expect(notifications).toBeLessThan(UNITS * REPORTS.length);
      process.stdout.write(
        `[cluster] ${UNITS * REPORTS.length} reports on B reached A's dashboard in ${notifications} adapter messages\n`,
      );
    } finally {
      socket.close();
      await listener.end();
    }
  });

  it('never fails as silent a unit that reports to the other instance, and fails one that stops', async () => {
    await venue('QUIE', 2);
    const talking = await configured(a, 4000, 'QUIE');
    const quiet = await configured(a, 4001, 'QUIE');
    const until = Date.now() + 2.5 * SILENCE_SECONDS * 1000;
    while (Date.now() < until) {
      expect((await report(b.deployment, talking, 'downloading', 1)).status).toBe(200);
      await sleep(1000);
    }
    expect((await detail(a.management, token, talking.deploymentId)).status).toBe('downloading');
    const stopped = await detail(a.management, token, quiet.deploymentId);
    expect(stopped).toMatchObject({ status: 'failed', error: `no report for ${SILENCE_SECONDS} s` });
    // Failed once, by one instance.
    expect(stopped.events.filter((event) => event.status === 'failed')).toHaveLength(1);
  });

  it('keeps the bytes of an image deleted on A while B serves a download of it, and frees them after', async () => {
    const doomed = await upload(b, '2.0.0', 6 * 2 ** 20);
    const manifest = (await (await fetch(`${b.deployment}/images/${doomed.filename}.chunks`)).json()) as ChunkManifest;
    const download = await fetch(`${b.deployment}/images/${doomed.filename}`);
    const reader = download.body!.getReader();
    const parts: Uint8Array[] = [(await reader.read()).value!];

    expect((await api(a.management, `/api/images/${doomed.id}`, { method: 'DELETE', token })).status).toBe(204);
    // A third instance starting now sweeps at once: the download on B keeps the bytes.
    await sweeper();
    const keys = await storedKeys();
    expect(keys).toEqual(expect.arrayContaining([`images/${doomed.filename}`, `images/${doomed.filename}.bmap`]));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    expect(createHash('sha256').update(Buffer.concat(parts)).digest('hex')).toBe(doomed.sha256);
    for (const chunk of manifest.chunks) {
      expect((await fetch(`${b.deployment}/chunks/${chunk.sha256}.zst`)).status).toBe(200);
    }

    // The download has ended long ago: the next sweep, on any instance, frees the image and its chunks.
    await sql('UPDATE image_downloads SET expires_at = $1 WHERE image_id = $2', [
      new Date(Date.now() - 1000),
      doomed.id,
    ]);
    await sweeper();
    const after = await storedKeys();
    expect(after).not.toContain(`images/${doomed.filename}`);
    for (const chunk of manifest.chunks)
      expect(after).not.toContain(`chunks/${chunk.sha256.slice(0, 2)}/${chunk.sha256}.zst`);
    expect(
      await sql('SELECT sha256 FROM chunks WHERE sha256 = ANY($1)', [manifest.chunks.map((c) => c.sha256)]),
    ).toEqual([]);
    // The active image is untouched.
    expect(after).toContain(`images/${image.filename}`);
    expect((await fetch(`${a.deployment}/images/${image.filename}`)).status).toBe(200);
  });

  it('never frees on B a chunk an upload in progress on A has claimed', async () => {
    const shared = randomBytes(CHUNK_GRID_BYTES);
    const doomed = await upload(b, '3.0.0', 0, Buffer.concat([shared, randomBytes(CHUNK_GRID_BYTES)]));
    // Read from the database: a manifest request would take a download lease and keep everything.
    const [kept, freed] = (
      await sql<{ sha256: string }>('SELECT sha256 FROM image_chunks WHERE image_id = $1 ORDER BY image_offset', [
        doomed.id,
      ])
    ).map((row) => row.sha256);
    const key = (sha256: string) => `chunks/${sha256.slice(0, 2)}/${sha256}.zst`;

    // An upload on A whose first chunk is the doomed image's: its first part is sent, then it waits.
    // (Zeros after it: no chunk at the doomed image's second offset, so none is claimed as a patch
    // base; and the server cuts what it received in steps of 4 MiB.)
    const content = Buffer.concat([shared, Buffer.alloc(4 * CHUNK_GRID_BYTES), randomBytes(CHUNK_GRID_BYTES)]);
    const slow = startUpload(a, '3.1.0', content);
    await slow.send(5 * CHUNK_GRID_BYTES);
    const deadline = Date.now() + 20_000;
    while ((await sql('SELECT 1 FROM chunk_claims WHERE sha256 = $1', [kept])).length === 0) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(100);
    }
    expect((await api(b.management, `/api/images/${doomed.id}`, { method: 'DELETE', token })).status).toBe(204);
    const keys = await storedKeys();
    expect(keys).toContain(key(kept!));
    expect(keys).not.toContain(key(freed!));

    await slow.send();
    const answer = await slow.answer;
    expect(answer.status).toBe(201);
    const stored = answer.body as ImageDto;
    const manifest = (await (await fetch(`${b.deployment}/images/${stored.filename}.chunks`)).json()) as ChunkManifest;
    expect(manifest.chunks[0]!.sha256).toBe(kept);
    expect((await fetch(`${b.deployment}/chunks/${kept}.zst`)).status).toBe(200);
    expect(await sql('SELECT sha256 FROM chunk_claims')).toEqual([]);
  });

  it('converts on B an image stored before the chunk store that A uploaded, through the bucket', async () => {
    const old = await upload(a, '4.0.0', 2 * CHUNK_GRID_BYTES);
    const digests = (
      await sql<{ sha256: string }>('SELECT sha256 FROM image_chunks WHERE image_id = $1 ORDER BY image_offset', [
        old.id,
      ])
    ).map((row) => row.sha256);
    const key = (sha256: string) => `chunks/${sha256.slice(0, 2)}/${sha256}.zst`;
    // What the older server stored: the image and its block map, no chunks (the start-up sweep frees them).
    await sql('UPDATE images SET chunk_count = NULL WHERE id = $1', [old.id]);
    await sql('DELETE FROM image_chunks WHERE image_id = $1', [old.id]);
    await sweeper();
    expect(await storedKeys()).not.toContain(key(digests[0]!));

    expect((await api(b.management, `/api/images/${old.id}/chunks`, { method: 'POST', token })).status).toBe(202);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const onB = (await api(b.management, `/api/images/${old.id}`, { token })).body as ImageDto;
      expect(onB.conversion?.error).toBeUndefined();
      const onA = (await api(a.management, `/api/images/${old.id}`, { token })).body as ImageDto;
      if (onA.chunks !== null) break;
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(200);
    }
    const manifest = (await (await fetch(`${a.deployment}/images/${old.filename}.chunks`)).json()) as ChunkManifest;
    expect(manifest.chunks.map((chunk) => chunk.sha256)).toEqual(digests);
    const keys = await storedKeys();
    for (const sha256 of digests) expect(keys).toContain(key(sha256));
  });

  it('loses no acknowledged report when B is killed under load, and A carries on', async () => {
    const UNITS = 30;
    await venue('KILL', UNITS);
    const acknowledged = new Map<string, number[]>();
    let afterKill = 0;
    let killed = false;
    let running = true;
    let ready = 0;
    let allReady!: () => void;
    const everyoneReporting = new Promise<void>((resolve) => (allReady = resolve));
    // Each unit reports from its configuration on (a unit silent while the others configure would
    // be failed as silent on a slow machine).
    const unit = async (n: number) => {
      const config = await configured(cluster.next(), 5000 + n, 'KILL');
      const progresses: number[] = [];
      acknowledged.set(config.deploymentId, progresses);
      if ((ready += 1) === UNITS) allReady();
      let turn = n;
      for (let progress = 1; running && progress < 100; progress += 1) {
        // Round robin while both answer; a report B can no longer answer goes to A.
        for (let attempt = 0; attempt < 2; attempt += 1) {
          const target = cluster.instances[turn++ % 2]!;
          const answer = await report(target.deployment, config, 'downloading', progress).catch((error: Error) => {
            if (target === b && killed) return undefined;
            throw error;
          });
          if (!answer) continue;
          expect(answer.status).toBe(200);
          progresses.push(progress);
          if (killed) afterKill += 1;
          break;
        }
      }
    };
    const load = Promise.all(Array.from({ length: UNITS }, (_, n) => unit(n)));
    await everyoneReporting;
    await sleep(1500);
    killed = true;
    b.child.kill('SIGKILL');
    await b.exited;
    await sleep(1500);
    running = false;
    await load;

    expect(afterKill).toBeGreaterThan(UNITS);
    let checked = 0;
    for (const [id, progresses] of acknowledged) {
      const found = await detail(a.management, token, id);
      const stored = new Set(found.events.map((event) => event.progress));
      for (const progress of progresses) expect(stored.has(progress)).toBe(true);
      checked += progresses.length;
    }
    process.stdout.write(
      `[cluster] kill: ${checked} acknowledged reports all stored, ${afterKill} after the kill on A\n`,
    );
    expect((await fetch(`${a.management}/api/health`)).status).toBe(200);
  });
});

function connect(url: string, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, { path: '/socket.io', transports: ['websocket'], auth: { token }, reconnection: false });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

/**
 * The shipped scale-out example: two real server processes started from
 * infra/systemd/rpi-deploy-cluster.env on ONE PostgreSQL and ONE S3 bucket (s3rver), behind nginx
 * running infra/nginx/rpi-deploy-cluster.conf on loopback ports. A login, the live socket (a
 * WebSocket, and socket.io's polling start that needs the sticky upstream) and a whole deployment
 * go through nginx, and both instances take part.
 * Needs nginx, PostgreSQL (TEST_POSTGRES_URL, as npm test sets it) and npx nx build server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { io, type Socket } from 'socket.io-client';
import {
  SOCKET_EVENTS,
  type ConfigResponse,
  type DeploymentDetailDto,
  type DeploymentDto,
  type LoginResponse,
} from '@rpi-deploy/contracts';
import {
  freePort,
  startClusterNginx,
  startTestS3,
  uploadImage,
  waitForHealthy,
  type ClusterNginx,
  type TestS3Server,
} from '@rpi-deploy/test-kit';

const ROOT = resolve(__dirname, '../../..');
const SERVER = join(ROOT, 'dist/server/main.js');
const ADMIN_PASSWORD = 'cluster-example-admin';

interface Instance {
  name: string;
  child: ChildProcess;
  dataDir: string;
  ports: { management: number; deployment: number };
  exited: Promise<void>;
}

/** KEY=VALUE lines of an env file, as systemd's EnvironmentFile reads them. */
function readEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

describe('the scale-out example: two instances behind nginx on one PostgreSQL and one bucket', () => {
  const adminUrl = process.env['TEST_POSTGRES_URL'];
  const database = `rpi_cluster_${randomBytes(5).toString('hex')}`;
  const shipped = readEnvFile(join(ROOT, 'infra/systemd/rpi-deploy-cluster.env'));
  const instances: Instance[] = [];
  let s3: TestS3Server;
  let nginx: ClusterNginx;
  let work: string;
  let token: string;

  const withAdmin = async (sql: string) => {
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  const startInstance = async (name: string, env: Record<string, string>): Promise<Instance> => {
    const dataDir = mkdtempSync(join(tmpdir(), `rpi-cluster-${name}-`));
    const ports = { management: await freePort(), deployment: await freePort() };
    const child = spawn(process.execPath, [SERVER], {
      env: {
        PATH: process.env['PATH'],
        ...shipped,
        ...env,
        // What differs between the hosts (and from the placeholders): addresses, ports, folders.
        DATA_DIR: dataDir,
        MGMT_HOST: '127.0.0.1',
        MGMT_PORT: String(ports.management),
        DEPLOY_HOST: '127.0.0.1',
        DEPLOY_PORT: String(ports.deployment),
        TFTP_ROOT: join(dataDir, 'tftp', 'root'),
        DNSMASQ_CONFIG: join(dataDir, 'netboot', 'dnsmasq.conf'),
        DNSMASQ_LOG: join(dataDir, 'logs', 'dnsmasq.log'),
        NETBOOT_BUILD_DIR: join(ROOT, 'dist/netboot'),
        NETBOOT_HOOK: join(ROOT, 'infra/dnsmasq/rpi-deploy-dhcp-hook.sh'),
        NETBOOT_TEMPLATES: join(ROOT, 'tftpboot'),
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    await waitForHealthy(`http://127.0.0.1:${ports.management}/api/health`, {
      // Generous: the machine running the suite may be busy with other work.
      timeoutMs: 90_000,
      intervalMs: 100,
      failIf: () => (child.exitCode !== null ? `instance ${name} exited with ${child.exitCode}: ${stderr}` : undefined),
      lastSeen: async () => stderr,
    });
    return { name, child, dataDir, ports, exited };
  };

  /** Status reports each instance wrote to its own deployment log. */
  const reportsHandledBy = (instance: Instance) => {
    const logs = join(instance.dataDir, 'logs');
    return readdirSync(logs)
      .filter((name) => name.startsWith('deployment_'))
      .flatMap((name) => readFileSync(join(logs, name), 'utf8').split('\n'))
      .filter((line) => line.trim() !== '').length;
  };

  beforeAll(async () => {
    if (!existsSync(SERVER)) throw new Error('dist/server is missing: run npx nx build server first');
    if (!adminUrl)
      throw new Error(
        'TEST_POSTGRES_URL is not set: run through npm test, or source infra/test/postgres.sh && postgres_start',
      );
    await withAdmin(`CREATE DATABASE ${database}`);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    s3 = await startTestS3('rpi-deploy-cluster');
    work = mkdtempSync(join(tmpdir(), 'rpi-cluster-work-'));
    const deployPort = await freePort();
    const shared = {
      DATABASE_URL: url.toString(),
      IMAGE_STORE_URL: s3.storeUrl('images'),
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      ADMIN_PASSWORD,
      DEPLOY_PUBLIC_URL: `http://127.0.0.1:${deployPort}`,
    };
    // Started at the same moment on the empty database, as after a fresh install.
    instances.push(...(await Promise.all([startInstance('A', shared), startInstance('B', shared)])));
    nginx = await startClusterNginx([instances[0]!.ports, instances[1]!.ports], deployPort);
  }, 240_000);

  afterAll(async () => {
    await nginx?.stop();
    for (const instance of instances) {
      instance.child.kill('SIGTERM');
      await instance.exited;
      rmSync(instance.dataDir, { recursive: true, force: true });
    }
    await s3?.close();
    if (adminUrl) await withAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('logs in through nginx, and the token is good on both instances', async () => {
    const login = await fetch(`${nginx.management}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('server')).toMatch(/^nginx/);
    token = ((await login.json()) as LoginResponse).accessToken;
    for (const instance of instances) {
      const me = await fetch(`http://127.0.0.1:${instance.ports.management}/api/auth/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(me.status).toBe(200);
    }
  });

  it('deploys a unit through nginx, both instances answering, while dashboards see it live through nginx', async () => {
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const manage = (path: string, body: unknown) =>
      fetch(`${nginx.management}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    expect((await manage('/api/venues', { code: 'CLUS', name: 'Cluster' })).status).toBe(201);
    expect((await manage('/api/venues/CLUS/karts', { from: 1, to: 10 })).status).toBeLessThan(300);
    const imageBytes = randomBytes(3 << 20);
    writeFileSync(join(work, 'cluster.img'), imageBytes);
    await uploadImage(nginx.management, token, {
      filePath: join(work, 'cluster.img'),
      product: 'KXP2',
      version: '1.0.0',
      activate: true,
    });

    // One dashboard on a WebSocket from the start, one as the browser does (polling, then upgrade).
    const sockets: Socket[] = [
      io(nginx.management, { path: '/socket.io', transports: ['websocket'], auth: { token }, reconnection: false }),
      io(nginx.management, { path: '/socket.io', auth: { token }, reconnection: false }),
    ];
    try {
      const succeeded = sockets.map(
        (socket) =>
          new Promise<DeploymentDto>((done) =>
            socket.on(SOCKET_EVENTS.deploymentUpdated, (view: DeploymentDto) => {
              if (view.status === 'success') done(view);
            }),
          ),
      );
      await Promise.all(sockets.map((socket) => new Promise((done) => socket.once('connect', () => done(null)))));
      const polling = sockets[1]!.io.engine;
      if (polling.transport.name !== 'websocket') await new Promise((done) => polling.once('upgrade', done));
      expect(sockets.map((socket) => socket.io.engine.transport.name)).toEqual(['websocket', 'websocket']);

      const config = await fetch(`${nginx.deployment}/api/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ serial: '10000000c1a5c1a5', mac: '02:c1:a5:00:00:01', product: 'KXP2', venue: 'CLUS' }),
      });
      expect(config.status).toBe(200);
      const answer = (await config.json()) as ConfigResponse;
      expect(answer.hostname).toBe('KXP2-CLUS-001');
      // The Pi downloads from the balancer; an instance streams the bytes from the bucket.
      expect(answer.image.url.startsWith(nginx.deployment)).toBe(true);
      const download = await fetch(answer.image.url);
      expect(download.status).toBe(200);
      const downloaded = Buffer.from(await download.arrayBuffer());
      expect(createHash('sha256').update(downloaded).digest('hex')).toBe(answer.image.sha256);

      const reports = [
        ...[25, 50, 75, 100].map((progress) => ({ status: 'downloading', progress })),
        { status: 'verifying', progress: 100 },
        { status: 'customizing', progress: 100 },
        { status: 'success', progress: 100 },
      ];
      for (const report of reports) {
        const sent = await fetch(`${nginx.deployment}/api/status`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${answer.statusToken}` },
          body: JSON.stringify({ deploymentId: answer.deploymentId, ...report }),
        });
        expect(sent.status).toBe(200);
      }
      for (const seen of await Promise.all(succeeded)) {
        expect(seen).toMatchObject({ id: answer.deploymentId, hostname: 'KXP2-CLUS-001', status: 'success' });
      }
      const detail = (await (
        await fetch(`${nginx.management}/api/deployments/${answer.deploymentId}`, { headers: auth })
      ).json()) as DeploymentDetailDto;
      expect(detail.events).toHaveLength(1 + reports.length);
      // The balancer spread the installer's requests: each instance recorded some of the reports.
      const handled = instances.map(reportsHandledBy);
      expect(handled.every((count) => count > 0)).toBe(true);
      expect(handled[0]! + handled[1]!).toBe(1 + reports.length);
    } finally {
      for (const socket of sockets) socket.close();
    }
  }, 60_000);
});

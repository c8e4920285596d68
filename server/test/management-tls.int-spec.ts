/**
 * HTTPS without nginx: TLS_CERT / TLS_KEY on the management listener, a self-signed pair made
 * on first start when TLS_SELF_SIGNED asks for it, HSTS; the deployment listener stays plain HTTP
 * (the Pis' installer speaks HTTP on the isolated VLAN).
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { io } from 'socket.io-client';
import { writeSelfSignedPair } from '../src/app/management-tls';
import { ADMIN_PASSWORD, api, bootTestServer, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function httpsRequest(
  url: string,
  ca: string,
  options: { method?: string; body?: unknown } = {},
): Promise<HttpsAnswer> {
  return new Promise((done, fail) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const outgoing = request(
      url,
      {
        method: options.method ?? 'GET',
        ca,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => done({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    outgoing.on('error', fail);
    outgoing.end(payload);
  });
}

const REPOSITORY = resolve(__dirname, '../..');
const execFileAsync = promisify(execFile);

/**
 * The CLI in a child process, so NODE_EXTRA_CA_CERTS (read at process start) takes effect; async,
 * because the server under test runs in this very process.
 */
async function cliProcess(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  const script = `require('./server/src/cli/main').runCli(${JSON.stringify(args)}).then((code) => process.exit(code))`;
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      ['-r', './server/test/support/typescript-require-hook.js', '-r', 'reflect-metadata', '-e', script],
      { cwd: REPOSITORY, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 },
    );
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe.each(testDatabases())('HTTPS on the management listener ($name)', (database) => {
  let t: TestServer | undefined;
  const extraDirs: string[] = [];

  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(async () => {
    for (const dir of extraDirs) rmSync(dir, { recursive: true, force: true });
    await database.dropAll();
  });

  const httpsBase = (server: TestServer) => `https://127.0.0.1:${server.server.managementPort}`;

  it('makes a self-signed pair on first start, serves the dashboard, API and live socket over HTTPS with HSTS', async () => {
    t = await bootTestServer({ DATABASE_URL: await database.create(), TLS_SELF_SIGNED: 'true' });
    const certPath = join(t.dataDir, 'tls/server.crt');
    const keyPath = join(t.dataDir, 'tls/server.key');
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const ca = readFileSync(certPath, 'utf8');
    const certificate = new X509Certificate(ca);
    expect(certificate.checkHost('localhost')).toBe('localhost');
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(t.logger.lines.join('\n')).toContain(certificate.fingerprint256);

    const health = await httpsRequest(`${httpsBase(t)}/api/health`, ca);
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toBe('max-age=31536000');
    const dashboard = await httpsRequest(`${httpsBase(t)}/`, ca);
    expect(dashboard.status).toBe(200);
    expect(dashboard.body).toMatch(/<app-root|<html/);

    const login = await httpsRequest(`${httpsBase(t)}/api/auth/login`, ca, {
      method: 'POST',
      body: { username: 'admin', password: ADMIN_PASSWORD },
    });
    expect(login.status).toBe(200);
    const { accessToken } = JSON.parse(login.body) as { accessToken: string };

    const socket = io(httpsBase(t), {
      transports: ['websocket'],
      auth: { token: accessToken },
      reconnection: false,
      ca,
    });
    try {
      await new Promise<void>((done, fail) => {
        socket.once('connect', () => done());
        socket.once('connect_error', fail);
      });
      expect(socket.connected).toBe(true);
    } finally {
      socket.close();
    }

    // Plain HTTP to the management port finds no HTTP server; the deployment listener is plain
    // HTTP and sends no HSTS (the installer never follows it).
    await expect(fetch(`http://127.0.0.1:${t.server.managementPort}/api/health`)).rejects.toThrow();
    const deployment = await api(t.deployment, '/health');
    expect(deployment.status).toBe(200);
    expect(deployment.headers.get('strict-transport-security')).toBeNull();
  });

  it('keeps the same certificate across restarts', async () => {
    t = await bootTestServer({ DATABASE_URL: await database.create(), TLS_SELF_SIGNED: 'true' });
    const dataDir = t.dataDir;
    const first = readFileSync(join(dataDir, 'tls/server.crt'), 'utf8');
    await t.close({ keepData: true });
    t = await bootTestServer({ DATABASE_URL: await database.create(), TLS_SELF_SIGNED: 'true' }, dataDir);
    expect(readFileSync(join(dataDir, 'tls/server.crt'), 'utf8')).toBe(first);
    expect((await httpsRequest(`${httpsBase(t)}/api/health`, first)).status).toBe(200);
  });

  it('refuses to start with a key that does not belong to the certificate, or a missing file, and says which', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-pairs-'));
    extraDirs.push(dir);
    const one = { certPath: join(dir, 'one.crt'), keyPath: join(dir, 'one.key'), selfSigned: true };
    const two = { certPath: join(dir, 'two.crt'), keyPath: join(dir, 'two.key'), selfSigned: true };
    await writeSelfSignedPair(one, '127.0.0.1');
    await writeSelfSignedPair(two, '127.0.0.1');
    const url = await database.create();
    await expect(bootTestServer({ DATABASE_URL: url, TLS_CERT: one.certPath, TLS_KEY: two.keyPath })).rejects.toThrow(
      `TLS_KEY ${two.keyPath} does not belong to the certificate TLS_CERT ${one.certPath}`,
    );
    await expect(
      bootTestServer({ DATABASE_URL: url, TLS_CERT: join(dir, 'absent.crt'), TLS_KEY: one.keyPath }),
    ).rejects.toThrow(/TLS_CERT .*absent\.crt cannot be read: ENOENT \(or set TLS_SELF_SIGNED=true/);
    await expect(bootTestServer({ DATABASE_URL: url, TLS_CERT: one.keyPath, TLS_KEY: one.keyPath })).rejects.toThrow(
      /TLS_CERT .* is not a PEM certificate/,
    );
    // The operator's own pair is served as given.
    t = await bootTestServer({ DATABASE_URL: url, TLS_CERT: two.certPath, TLS_KEY: two.keyPath });
    expect((await httpsRequest(`${httpsBase(t)}/api/health`, readFileSync(two.certPath, 'utf8'))).status).toBe(200);
  });

  it('lets the CLI in when the certificate is trusted, and says how to trust it otherwise', async () => {
    t = await bootTestServer({ DATABASE_URL: await database.create(), TLS_SELF_SIGNED: 'true' });
    const args = ['--url', httpsBase(t), '--user', 'admin', '--password', ADMIN_PASSWORD, '--json', 'venue', 'list'];
    const untrusted = await cliProcess(args, {});
    expect(untrusted.code).toBe(1);
    expect(untrusted.output).toMatch(/presents a certificate this machine does not trust .*NODE_EXTRA_CA_CERTS=/);
    const trusted = await cliProcess(args, { NODE_EXTRA_CA_CERTS: join(t.dataDir, 'tls/server.crt') });
    expect(trusted).toMatchObject({ code: 0 });
    expect(JSON.parse(trusted.output)).toEqual([]);
  });
});

/**
 * The shipped production install for real: infra/install-server.sh on this machine (users,
 * /opt, /etc, /var/lib, nginx sites), then the server started exactly as the installed systemd
 * unit says (its ExecStart, User, Group, WorkingDirectory, EnvironmentFile, Environment, UMask)
 * and nginx with its packaged configuration (workers as www-data), both in a network namespace
 * whose veth end holds the deployment VLAN address. A real installer bundle, in a second
 * namespace as a Pi, installs a real image on a card file through nginx's deployment port, and
 * a browser's login and dashboard go through nginx's management site. Everything installed is
 * removed afterwards; the test refuses to run where rpi-deploy is already installed.
 * Needs root, ip, curl, nginx, dnsmasq, runuser, network access for npm ci, and npx nx build
 * server web installer.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DeploymentDetailDto, ImageDto, PreflightReportDto } from '@rpi-deploy/contracts';
import { waitFor } from '@rpi-deploy/test-kit';
import {
  buildInstallFixture,
  installerArgs,
  makeCard,
  UNIT_HOSTNAME,
  type InstallFixture,
} from '../../../installer/test/support/install-fixture';
import { NetnsPair } from './support/netns';

jest.setTimeout(600_000);

const ROOT = resolve(__dirname, '../../..');
const VLAN = { server: '10.151.77.1', pi: '10.151.77.50', prefix: 24 };
const ADMIN_PASSWORD = 'production-install-admin-pw';
const UNIT_FILE = '/etc/systemd/system/rpi-deploy.service';
const NGINX_PID = '/run/nginx.pid';
/** What install-server.sh creates; all of it goes again at the end. */
const INSTALLED_PATHS = [
  '/opt/rpi-deploy',
  '/var/lib/rpi-deploy',
  '/var/log/rpi-deploy',
  '/srv/rpi-deploy',
  '/etc/rpi-deploy',
  '/etc/systemd/system/rpi-deploy.service',
  '/etc/systemd/system/rpi-deploy-dnsmasq.service',
  '/etc/nginx/conf.d/rpi-deploy-management.conf',
  '/etc/nginx/conf.d/rpi-deploy-deployment.conf',
  '/usr/local/bin/rpi-deploy',
];
const SERVICE_USERS = ['rpi-deploy-dnsmasq', 'rpi-deploy'];

const exists = (path: string): boolean => lstatSync(path, { throwIfNoEntry: false }) !== undefined;

function requireCleanMachine(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('must run as root (it installs users and files)');
  for (const built of ['dist/server/main.js', 'dist/web/browser/index.html', 'dist/installer/pi-installer.js']) {
    if (!existsSync(join(ROOT, built))) problems.push(`${built} is missing: npx nx build server web installer`);
  }
  const present = INSTALLED_PATHS.filter(exists);
  if (present.length > 0) problems.push(`rpi-deploy is installed here already (${present.join(', ')})`);
  if (SERVICE_USERS.some((user) => spawnSync('getent', ['passwd', user]).status === 0))
    problems.push('the rpi-deploy users exist already');
  if (existsSync(NGINX_PID)) problems.push(`nginx runs already (${NGINX_PID})`);
  if (problems.length > 0) throw new Error(`The production-install system test cannot run: ${problems.join('; ')}`);
}

/** The [Service] settings of a systemd unit; Environment= may repeat and hold several assignments. */
function readUnit(path: string): { settings: Map<string, string>; environment: Record<string, string> } {
  const settings = new Map<string, string>();
  const environment: Record<string, string> = {};
  let section = '';
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line.trim());
    if (header) section = header[1]!;
    const setting = /^(\w+)=(.*)$/.exec(line);
    if (section !== 'Service' || !setting) continue;
    const [, key, value] = setting as unknown as [string, string, string];
    if (key === 'Environment') Object.assign(environment, readAssignments(value.split(/\s+/)));
    else settings.set(key, value);
  }
  return { settings, environment };
}

/** KEY=VALUE lines as systemd's EnvironmentFile= reads them (comments and blank lines skipped). */
function readAssignments(lines: string[]): Record<string, string> {
  const assignments: Record<string, string> = {};
  for (const line of lines) {
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (assignment) assignments[assignment[1]!] = assignment[2]!.replace(/^"(.*)"$/, '$1');
  }
  return assignments;
}

describe('the shipped production install (install-server.sh, systemd unit, nginx sites)', () => {
  const net = new NetnsPair(`pi${process.pid % 10000}`);
  const processes: ChildProcess[] = [];
  const logs = new Map<string, string>();
  let fixture: InstallFixture;
  let token: string;
  let installOutput = '';

  function start(name: string, command: string[], env: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    logs.set(name, '');
    const keep = (chunk: Buffer) => logs.set(name, (logs.get(name)! + chunk.toString()).slice(-6000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    processes.push(child);
    return child;
  }

  /** curl inside a namespace: status, headers and body (self-signed TLS accepted, as a first visit). */
  function curl(ns: string, url: string, ...args: string[]): { status: number; body: string; headers: string } {
    // Headers and body both on stdout (-D -): a pipe of spawnSync cannot be reopened as /dev/stderr.
    const run = spawnSync(
      'ip',
      ['netns', 'exec', ns, 'curl', '-sk', '--max-time', '20', '-D', '-', '-w', '\n%{http_code}', ...args, url],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    const status = /\n(\d{3})$/.exec(run.stdout);
    const output = status ? run.stdout.slice(0, status.index) : run.stdout;
    const end = output.indexOf('\r\n\r\n');
    return {
      status: Number(status?.[1] ?? 0),
      headers: end < 0 ? output : output.slice(0, end),
      body: end < 0 ? '' : output.slice(end + 4),
    };
  }
  const management = (path: string, ...args: string[]) =>
    curl(net.server, `https://127.0.0.1${path}`, '-H', `authorization: Bearer ${token}`, ...args);

  function diagnostics(): string {
    const look = (command: string[]) => spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
    const seen = [
      ['ip', '-n', net.server, '-br', 'addr'],
      ['ip', '-n', net.client, '-br', 'addr'],
      ['ip', 'netns', 'exec', net.server, 'ss', '-ltnp'],
      ['tail', '-5', '/var/log/nginx/error.log'],
      ['ip', 'netns', 'exec', net.client, 'curl', '-sv', '--max-time', '5', `http://${VLAN.server}:5001/health`],
    ].map((command) => {
      const run = look(command);
      return [command.join(' '), `${run.stdout}${run.stderr}`];
    });
    return [...logs, ...seen].map(([name, text]) => `--- ${name}:\n${text}`).join('\n');
  }

  beforeAll(async () => {
    requireCleanMachine();
    net.create(`${VLAN.server}/${VLAN.prefix}`, 'd8:3a:dd:12:34:56');
    execFileSync('ip', ['-n', net.client, 'addr', 'add', `${VLAN.pi}/${VLAN.prefix}`, 'dev', net.clientIf]);
    fixture = buildInstallFixture('production-install');

    const install = spawnSync(
      'bash',
      [
        join(ROOT, 'infra/install-server.sh'),
        '--deploy-interface',
        net.serverIf,
        '--deploy-ip',
        `${VLAN.server}/${VLAN.prefix}`,
        '--dhcp-range',
        '10.151.77.100,10.151.77.200',
        '--mgmt-host',
        '127.0.0.1',
        // This machine reaches no GitHub for the native modules' prebuilt binaries: npm ci would
        // compile them for minutes. The checkout's node_modules are built for this machine.
        '--node-modules',
        join(ROOT, 'node_modules'),
      ],
      { encoding: 'utf8', timeout: 480_000 },
    );
    installOutput = `${install.stdout}${install.stderr}`;
    if (install.status !== 0)
      throw new Error(`install-server.sh failed (${install.status}):\n${installOutput.slice(-4000)}`);

    // The operator's one edit before the first start (README): the first admin's password.
    const envFile = '/etc/rpi-deploy/rpi-deploy.env';
    writeFileSync(envFile, `${readFileSync(envFile, 'utf8')}ADMIN_PASSWORD=${ADMIN_PASSWORD}\n`);

    // The server as systemd would start it.
    const unit = readUnit(UNIT_FILE);
    const setting = (key: string) => {
      const value = unit.settings.get(key);
      if (value === undefined) throw new Error(`${UNIT_FILE} has no ${key}=`);
      return value;
    };
    const environment = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      ...readAssignments(readFileSync(setting('EnvironmentFile'), 'utf8').split('\n')),
      ...unit.environment,
    };
    start(
      'rpi-deploy',
      [
        'ip',
        ...['netns', 'exec', net.server],
        ...['runuser', '-u', setting('User'), '-g', setting('Group'), '--'],
        ...[
          'sh',
          '-c',
          `umask ${setting('UMask')} && cd ${setting('WorkingDirectory')} && exec ${setting('ExecStart')}`,
        ],
      ],
      environment,
    );
    // nginx with its packaged configuration, in the foreground.
    start('nginx', ['ip', 'netns', 'exec', net.server, 'nginx', '-g', 'daemon off;'], { PATH: process.env['PATH'] });

    await waitFor(
      `the deployment site answering on ${VLAN.server}:5001`,
      async () => (curl(net.client, `http://${VLAN.server}:5001/health`).status === 200 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 500 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${diagnostics()}`);
    });
    const login = curl(
      net.server,
      'https://127.0.0.1/api/auth/login',
      '-H',
      'content-type: application/json',
      '--data',
      JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    );
    expect(login.status).toBe(200);
    token = (JSON.parse(login.body) as { accessToken: string }).accessToken;
  });

  afterAll(async () => {
    for (const child of processes) child.kill('SIGTERM');
    await new Promise((done) => setTimeout(done, 1000));
    if (existsSync(NGINX_PID)) spawnSync('kill', ['-QUIT', readFileSync(NGINX_PID, 'utf8').trim()]);
    for (const child of processes) if (child.exitCode === null) child.kill('SIGKILL');
    await new Promise((done) => setTimeout(done, 500));
    net.destroy();
    for (const path of INSTALLED_PATHS) spawnSync('rm', ['-rf', path]);
    for (const user of SERVICE_USERS) spawnSync('userdel', [user]);
    for (const group of SERVICE_USERS) spawnSync('groupdel', [group]);
    fixture?.remove();
  });

  it('puts the server on loopback and nginx on the VLAN address, workers as www-data', () => {
    const env = readFileSync('/etc/rpi-deploy/rpi-deploy.env', 'utf8');
    expect(env).toMatch(/^DEPLOY_HOST=127\.0\.0\.1$/m);
    expect(env).toMatch(/^DEPLOY_PORT=5002$/m);
    expect(env).toMatch(/^DEPLOY_PUBLIC_URL=http:\/\/10\.151\.77\.1:5001$/m);
    expect(env).toMatch(/^IMAGES_ACCEL_REDIRECT=\/_images\/$/m);
    expect(env).toMatch(/^CHUNKS_ACCEL_REDIRECT=\/_chunks\/$/m);
    expect(readFileSync('/etc/nginx/conf.d/rpi-deploy-deployment.conf', 'utf8')).toMatch(
      /^\s*listen 10\.151\.77\.1:5001;$/m,
    );

    const health = curl(net.client, `http://${VLAN.server}:5001/health`);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', listener: 'deployment' });
    expect(health.headers).toMatch(/^server: nginx/im);
    // The server itself is not on the VLAN.
    expect(curl(net.client, `http://${VLAN.server}:5002/health`).status).toBe(0);

    const master = Number(readFileSync(NGINX_PID, 'utf8').trim());
    const workers = execFileSync('ps', ['-o', 'user=', '--ppid', String(master)], { encoding: 'utf8' })
      .split('\n')
      .map((user) => user.trim())
      .filter(Boolean);
    expect(workers.length).toBeGreaterThan(0);
    expect(new Set(workers)).toEqual(new Set(['www-data']));
    const serverUser = execFileSync('ps', ['-o', 'user=', '-C', 'node'], { encoding: 'utf8' });
    expect(serverUser).toMatch(/^rpi-deploy$/m);
  });

  it('passes the nginx layout checks of rpi-deploy validate', () => {
    const report = JSON.parse(management('/api/netboot/preflight').body) as PreflightReportDto;
    const byId = new Map(report.checks.map((check) => [check.id, check]));
    expect(byId.get('nginx-ports')).toMatchObject({ ok: true, detail: 'server on 127.0.0.1:5002 and 127.0.0.1:5000' });
    expect(byId.get('nginx-proxy')).toMatchObject({
      ok: true,
      detail: 'rpi-deploy-deployment.conf -> 127.0.0.1:5002, rpi-deploy-management.conf -> 127.0.0.1:5000',
    });
    expect(byId.get('nginx-files')).toMatchObject({ ok: true });
  });

  it('logs a browser in and serves the dashboard through the management site', () => {
    const redirect = curl(net.server, 'http://127.0.0.1/');
    expect(redirect.status).toBe(301);
    expect(redirect.headers).toMatch(/^location: https:\/\/127\.0\.0\.1\//im);
    const index = curl(net.server, 'https://127.0.0.1/');
    expect(index.status).toBe(200);
    expect(index.body).toMatch(/<app-root/);
    expect(index.headers).toMatch(/^strict-transport-security: max-age=31536000/im);
    const wrong = curl(
      net.server,
      'https://127.0.0.1/api/auth/login',
      '-H',
      'content-type: application/json',
      '--data',
      JSON.stringify({ username: 'admin', password: 'not-the-password' }),
    );
    expect(wrong.status).toBe(401);
    expect(management('/api/auth/me').status).toBe(200);
  });

  it('installs a real image on a card with the installer bundle through nginx (deployment site)', async () => {
    expect(
      management(
        '/api/venues',
        '-H',
        'content-type: application/json',
        '--data',
        JSON.stringify({ code: 'CORO', name: 'Corona' }),
      ).status,
    ).toBe(201);
    const upload = management(
      '/api/images',
      '-F',
      'product=RXP2',
      '-F',
      'version=1.0.0',
      '-F',
      `file=@${fixture.forms.xz.path}`,
    );
    expect(upload.status).toBe(201);
    const image = JSON.parse(upload.body) as ImageDto;
    expect(management(`/api/images/${image.id}/activate`, '-X', 'POST').status).toBeLessThan(300);

    // What nginx's worker reads: the folders' group is www-data's and every file is 0640.
    for (const store of ['/var/lib/rpi-deploy/images', '/var/lib/rpi-deploy/chunks']) {
      const files = readdirSync(store, { recursive: true, encoding: 'utf8' }).map((name) => join(store, name));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const stats = statSync(file);
        expect({ file, gid: stats.gid, mode: stats.mode & 0o7777 }).toEqual({
          file,
          gid: 33,
          mode: stats.isDirectory() ? 0o2750 : 0o640,
        });
      }
    }

    const card = makeCard(fixture.dir, 'production.card', 128 << 20, 'used');
    const args = installerArgs({ url: `http://${VLAN.server}:5001` }, card, '--product', 'RXP2', '--venue', 'CORO');
    const run = spawnSync(
      'ip',
      ['netns', 'exec', net.client, process.execPath, '/opt/rpi-deploy/dist/installer/pi-installer.js', ...args],
      {
        encoding: 'utf8',
        timeout: 240_000,
      },
    );
    if (run.status !== 0)
      throw new Error(`the installer failed (${run.status}):\n${run.stdout}\n${run.stderr}\n${diagnostics()}`);

    const page = JSON.parse(management('/api/deployments?status=success').body) as {
      total: number;
      items: { id: string }[];
    };
    expect(page.total).toBe(1);
    const detail = JSON.parse(management(`/api/deployments/${page.items[0]!.id}`).body) as DeploymentDetailDto;
    expect(detail).toMatchObject({ hostname: UNIT_HOSTNAME, imageVersion: '1.0.0', progress: 100 });

    // The chunk bytes went through nginx (X-Accel-Redirect): the server answers with the header only.
    const manifest = JSON.parse(
      curl(net.client, `http://${VLAN.server}:5001/images/${image.filename}.chunks`).body,
    ) as {
      chunks: { sha256: string }[];
    };
    const direct = curl(net.server, `http://127.0.0.1:5002/chunks/${manifest.chunks[0]!.sha256}.zst`);
    expect(direct.headers).toMatch(/^x-accel-redirect: \/_chunks\//im);
    expect(direct.body).toBe('');
  });
});

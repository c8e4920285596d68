import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './support/run-cli';
import { ADMIN_PASSWORD, bootTestServer, login, type TestServer } from './support/test-server';

const RENDER = [
  'netboot',
  'render-dnsmasq',
  '--interface',
  'eth1',
  '--server-ip',
  '192.168.151.1',
  '--range',
  '192.168.151.100,192.168.151.250',
  '--tftp-root',
  '/srv/tftp/root',
  '--hook',
  '/opt/rpi-deploy/infra/dnsmasq/rpi-deploy-dhcp-hook.sh',
];

describe('rpi-deploy netboot, validate and deployments', () => {
  let t: TestServer;
  let env: Record<string, string>;
  let work: string;
  const run = (...args: string[]) => cli(['--user', 'admin', ...args], env);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'rpi-deploy-cli-netboot-'));
    // No nginx in front (an empty configuration folder): one nginx check, whether or not this
    // machine has nginx installed.
    mkdirSync(join(work, 'nginx'));
    t = await bootTestServer({
      NETBOOT_INTERFACE: 'lo',
      TFTP_ROOT: join(work, 'tftp', 'root'),
      NGINX_CONF_DIR: join(work, 'nginx'),
    });
    env = { RPI_DEPLOY_URL: t.management, RPI_DEPLOY_PASSWORD: ADMIN_PASSWORD };
  });
  afterAll(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('marks a unit to capture its card with `netboot unit set --capture`, and refuses half a mark', async () => {
    const marked = await run(
      'netboot',
      'unit',
      'set',
      '10000000beef0002',
      '--capture',
      '--product',
      'KXP2',
      '--version',
      '5.0',
    );
    expect(marked).toMatchObject({ code: 0, stderr: '' });
    expect(marked.stdout).toBe('Unit beef0002 captures its card as KXP2 5.0 on its next netboot\n');
    const listed = await fetch(`${t.management}/api/netboot/captures`, {
      headers: { authorization: `Bearer ${(await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken}` },
    });
    expect(await listed.json()).toEqual([
      expect.objectContaining({ serial: 'beef0002', product: 'KXP2', version: '5.0' }),
    ]);

    const noVersion = await run('netboot', 'unit', 'set', 'beef0003', '--capture', '--product', 'KXP2');
    expect(noVersion.code).toBe(1);
    expect(noVersion.stderr).toContain('--capture needs --product and --version');
    const badVersion = await run(
      'netboot',
      'unit',
      'set',
      'beef0003',
      '--capture',
      '--product',
      'KXP2',
      '--version',
      '../1',
    );
    expect(badVersion.code).toBe(1);
    expect(badVersion.stderr).toMatch(/version must be 1-64 letters/);
    const versionAlone = await run('netboot', 'unit', 'set', 'beef0003', '--product', 'KXP2', '--version', '1');
    expect(versionAlone.code).toBe(1);
    expect(versionAlone.stderr).toContain('--version goes with --capture');
  });

  it('renders a dnsmasq configuration that dnsmasq accepts, without the server', async () => {
    const printed = await cli(RENDER, {});
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('pxe-service=tag:pxe,tag:rpi5,0,"Raspberry Pi Boot"');
    expect(printed.stdout).toContain('dhcp-script=/opt/rpi-deploy/infra/dnsmasq/rpi-deploy-dhcp-hook.sh');
    expect(printed.stdout).toContain('interface=eth1');

    const out = join(work, 'dnsmasq.conf');
    const written = await cli([...RENDER, '--out', out], {});
    expect(written).toMatchObject({ code: 0, stdout: '' });
    expect(written.stderr).toContain('syntax check OK');
    expect(readFileSync(out, 'utf8')).toBe(printed.stdout.replace(/\n$/, ''));
  });

  it("renders from the server's environment with --settings, as the server does", async () => {
    const env = { NETBOOT_INTERFACE: 'eth2', DATA_DIR: work, NETBOOT_DHCP_RANGE: '192.168.151.20,192.168.151.60' };
    const fromSettings = await cli(['netboot', 'render-dnsmasq', '--settings'], env);
    expect(fromSettings.code).toBe(0);
    expect(fromSettings.stdout).toContain('interface=eth2');
    expect(fromSettings.stdout).toContain('dhcp-range=192.168.151.20,192.168.151.60,255.255.255.0,1h');
    expect(fromSettings.stdout).toContain(`tftp-root=${join(work, 'tftp', 'root')}`);
    expect(fromSettings.stdout).toMatch(/^dhcp-script=\/.*\/infra\/dnsmasq\/rpi-deploy-dhcp-hook\.sh$/m);
    const broken = await cli(['netboot', 'render-dnsmasq', '--settings'], { ...env, NETBOOT_SERVER_IP: 'nope' });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/NETBOOT_SERVER_IP must be an IPv4 address/);
  });

  it('refuses settings that cannot work, saying why', async () => {
    const outside = await cli([...RENDER.slice(0, 7), '10.0.0.10,10.0.0.20', ...RENDER.slice(8)], {});
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/not in the server's subnet 192\.168\.151\.1\/255\.255\.255\.0/);
    const missing = await cli(['netboot', 'render-dnsmasq', '--interface', 'eth1'], {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/give --server-ip, --range, --tftp-root \(or --settings/);
    const help = await cli(['netboot', 'render-dnsmasq', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--tftp-root <dir>/);
  });

  it('passes on the refusal of sync-tftp when no image is active', async () => {
    const sync = await run('netboot', 'sync-tftp');
    expect(sync.code).toBe(1);
    expect(sync.stderr).toMatch(/No active image: upload and activate an image first.*\(HTTP 409\)/);
  });

  it('validate prints one line per check with the fix, and exits 1 when one fails', async () => {
    const result = await run('validate');
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^ok {4}Database answers: SQLite in /));
    expect(lines).toContainEqual(expect.stringMatching(/^FAIL {2}TFTP root holds everything a Pi 5 boots: /));
    expect(lines).toContainEqual(expect.stringMatching(/^ {6}fix: rpi-deploy netboot sync-tftp/));
    expect(result.stderr).toMatch(/^rpi-deploy: \d+ of 15 checks failed\n$/);
    const json = await run('--json', 'validate');
    expect(JSON.parse(json.stdout).checks).toHaveLength(15);
  });

  it('validate fails clearly when the server does not answer', async () => {
    const result = await cli(['--url', 'http://127.0.0.1:9', '--user', 'admin', 'validate'], {
      RPI_DEPLOY_PASSWORD: 'x',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL {2}The server answers at http:\/\/127\.0\.0\.1:9/);
    expect(result.stdout).toMatch(/fix: systemctl start rpi-deploy/);
  });

  it('lists deployments with filters', async () => {
    const empty = await run('deployments', 'list', '--status', 'failed');
    expect(empty).toMatchObject({ code: 0, stdout: '(none)\n0 of 0\n' });
    const bad = await run('deployments', 'list', '--status', 'broken');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Allowed choices are starting, downloading/);
  });
});

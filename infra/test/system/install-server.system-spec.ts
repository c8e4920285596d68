/**
 * infra/install-server.sh in staging mode (--root): the layout it installs, the files it
 * renders (dnsmasq and nginx accept them), and that a second run changes nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
const SCRIPT = join(ROOT, 'infra/install-server.sh');

function install(root: string, ...args: string[]): { code: number; output: string } {
  const result = spawnSync('bash', [SCRIPT, '--root', root, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

describe('install-server.sh', () => {
  let root: string;

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/server/main.js')))
      throw new Error('dist/server is missing: run npx nx build server first');
    root = mkdtempSync(join(tmpdir(), 'rpi-deploy-install-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('explains itself with --help and refuses unknown options', () => {
    const help = spawnSync('bash', [SCRIPT, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--deploy-interface eth1 --deploy-ip 192\.168\.151\.1\/24/);
    const wrong = spawnSync('bash', [SCRIPT, '--bogus'], { encoding: 'utf8' });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/unknown option --bogus/);
  });

  it('installs the application, settings, units and sites, and renders a dnsmasq configuration', () => {
    const first = install(
      root,
      '--deploy-interface',
      'ens19',
      '--deploy-ip',
      '10.151.0.1/16',
      '--dhcp-range',
      '10.151.1.1,10.151.9.250',
    );
    expect(first).toMatchObject({ code: 0 });
    expect(first.output).toMatch(/changes applied/);
    for (const file of [
      'opt/rpi-deploy/dist/server/main.js',
      'opt/rpi-deploy/server/bin/rpi-deploy.js',
      'opt/rpi-deploy/tftpboot/config.txt',
      'etc/systemd/system/rpi-deploy.service',
      'etc/systemd/system/rpi-deploy-dnsmasq.service',
      'etc/nginx/conf.d/rpi-deploy-management.conf',
      'etc/nginx/conf.d/rpi-deploy-deployment.conf',
    ]) {
      expect(existsSync(join(root, file))).toBe(true);
    }
    expect(statSync(join(root, 'opt/rpi-deploy/infra/dnsmasq/rpi-deploy-dhcp-hook.sh')).mode & 0o111).not.toBe(0);
    const env = readFileSync(join(root, 'etc/rpi-deploy/rpi-deploy.env'), 'utf8');
    expect(env).toMatch(/^NETBOOT_INTERFACE=ens19$/m);
    expect(env).toMatch(/^NETBOOT_SERVER_IP=10\.151\.0\.1$/m);
    expect(env).toMatch(/^NETBOOT_NETMASK=255\.255\.0\.0$/m);
    expect(env).toMatch(/^DEPLOY_PUBLIC_URL=http:\/\/10\.151\.0\.1:5001$/m);
    // Behind nginx: the server on loopback, nginx on the VLAN address (production-install.system-spec.ts runs it).
    expect(env).toMatch(/^DEPLOY_HOST=127\.0\.0\.1$/m);
    expect(env).toMatch(/^DEPLOY_PORT=5002$/m);
    expect(readFileSync(join(root, 'etc/nginx/conf.d/rpi-deploy-deployment.conf'), 'utf8')).toMatch(
      /^\s*listen 10\.151\.0\.1:5001;$/m,
    );
    expect(readFileSync(join(root, 'etc/nginx/conf.d/rpi-deploy-management.conf'), 'utf8')).toMatch(
      /^\s*listen 0\.0\.0\.0:443 ssl http2;$/m,
    );
    expect(statSync(join(root, 'etc/rpi-deploy/rpi-deploy.env')).mode & 0o777).toBe(0o640);

    const conf = join(root, 'var/lib/rpi-deploy/netboot/dnsmasq.conf');
    const text = readFileSync(conf, 'utf8');
    expect(text).toMatch(/^interface=ens19$/m);
    expect(text).toMatch(/^dhcp-range=10\.151\.1\.1,10\.151\.9\.250,255\.255\.0\.0,1h$/m);
    expect(text).toContain(`tftp-root=${root}/srv/rpi-deploy/tftp/root`);
    expect(
      execFileSync('dnsmasq', ['--test', `--conf-file=${conf}`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    ).toBe('');
  });

  it('ships nginx sites that nginx accepts', () => {
    const nginxConf = join(root, 'nginx-test.conf');
    const sites = ['rpi-deploy-management.conf', 'rpi-deploy-deployment.conf'].map((name) =>
      readFileSync(join(root, 'etc/nginx/conf.d', name), 'utf8')
        .replaceAll('/etc/rpi-deploy/', `${root}/etc/rpi-deploy/`)
        // nginx -t binds: the VLAN address is not on this machine (production-install.system-spec.ts has it).
        .replace('listen 10.151.0.1:5001;', 'listen 127.0.0.1:5001;'),
    );
    writeFileSync(nginxConf, `events {}\nhttp {\n${sites.join('\n')}\n}\n`);
    const test = spawnSync('nginx', ['-t', '-c', nginxConf, '-g', `pid ${root}/nginx.pid; error_log stderr;`], {
      encoding: 'utf8',
    });
    expect(test.stderr).toMatch(/syntax is ok/);
    expect(test.stderr).toMatch(/test is successful/);
  });

  it("changes nothing on a second run and keeps the operator's settings", () => {
    const envFile = join(root, 'etc/rpi-deploy/rpi-deploy.env');
    writeFileSync(envFile, readFileSync(envFile, 'utf8').replace('LOG_LEVEL=info', 'LOG_LEVEL=debug'));
    const second = install(root, '--deploy-interface', 'ignored0');
    expect(second).toMatchObject({ code: 0 });
    expect(second.output).not.toMatch(/install |create /);
    expect(second.output).toMatch(/everything already up to date/);
    expect(readFileSync(envFile, 'utf8')).toMatch(/^LOG_LEVEL=debug$/m);
    expect(readFileSync(join(root, 'var/lib/rpi-deploy/netboot/dnsmasq.conf'), 'utf8')).toMatch(/^interface=ens19$/m);
  });
});

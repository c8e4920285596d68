import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { nginxLayoutChecks, type ServerLayout } from './nginx-layout';

const SHIPPED = resolve(__dirname, '../../../infra/nginx');
const www = { uid: Number(execFileSync('id', ['-u', 'www-data'], { encoding: 'utf8' })), gid: 33 };

/**
 * The shipped nginx sites in a throw-away /etc/nginx, against the server settings of the broken
 * first install (issue 19: server and nginx both on 5001, nothing on 5002, private image files)
 * and of the layout install-server.sh writes now. Runs as root (chown to www-data).
 */
describe('the nginx layout checks of rpi-deploy validate', () => {
  let work: string;
  let confDir: string;
  let dataDir: string;

  const byId = async (server: ServerLayout) =>
    new Map((await nginxLayoutChecks(confDir, server)).map((check) => [check.id, check]));

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'nginx-layout-'));
    chmodSync(work, 0o755);
    confDir = join(work, 'nginx');
    dataDir = join(work, 'data');
    mkdirSync(join(confDir, 'conf.d'), { recursive: true });
    writeFileSync(join(confDir, 'nginx.conf'), 'user www-data;\nevents {}\nhttp { include conf.d/*.conf; }\n');
    for (const site of ['rpi-deploy-deployment.conf', 'rpi-deploy-management.conf']) {
      const text = readFileSync(join(SHIPPED, site), 'utf8')
        .replaceAll('/var/lib/rpi-deploy/', `${dataDir}/`)
        .replace(/^(\s*listen )5001;/m, '$110.151.0.1:5001;')
        .replace(/^(\s*listen )80;/m, '$1127.0.0.1:80;')
        .replace(/^(\s*listen )443 /m, '$1127.0.0.1:443 ');
      writeFileSync(join(confDir, 'conf.d', site), text);
    }
    for (const store of ['images', 'chunks/ab']) mkdirSync(join(dataDir, store), { recursive: true });
    writeFileSync(join(dataDir, 'images', 'rxp2-000000000001.img'), 'image');
    writeFileSync(join(dataDir, 'chunks', 'ab', `ab${'0'.repeat(62)}.zst`), 'frame');
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  const accel = { images: '/_images/', chunks: '/_chunks/' };

  it('finds the port clash, the dead proxy target and the private files of the broken layout', async () => {
    // What the first install wrote: the server on the VLAN address, on nginx's port.
    chmodSync(dataDir, 0o750);
    chmodSync(join(dataDir, 'images', 'rxp2-000000000001.img'), 0o600);
    const checks = await byId({
      management: { host: '127.0.0.1', port: 5000 },
      deployment: { host: '10.151.0.1', port: 5001 },
      dataDir,
      accel,
    });
    expect(checks.get('nginx-ports')).toMatchObject({
      ok: false,
      detail:
        "rpi-deploy-deployment.conf listens on 10.151.0.1:5001, the server's deployment listener (DEPLOY_HOST/DEPLOY_PORT) on 10.151.0.1:5001: only one of them can start",
      fix: expect.stringContaining('DEPLOY_HOST=127.0.0.1 DEPLOY_PORT=5002'),
    });
    expect(checks.get('nginx-proxy')).toMatchObject({
      ok: false,
      detail: expect.stringContaining(
        'rpi-deploy-deployment.conf proxies to 127.0.0.1:5002, where the server does not listen',
      ),
    });
    expect(checks.get('nginx-files')).toMatchObject({
      ok: false,
      detail: expect.stringContaining(`${dataDir} (0750) does not let it through`),
      fix: expect.stringContaining('chgrp -R www-data'),
    });
  });

  it('passes the layout install-server.sh makes, and sees one private file in it', async () => {
    chmodSync(dataDir, 0o751);
    for (const folder of ['images', 'chunks', 'chunks/ab']) {
      chownSync(join(dataDir, folder), 0, www.gid);
      chmodSync(join(dataDir, folder), 0o2750);
    }
    for (const file of ['images/rxp2-000000000001.img', `chunks/ab/ab${'0'.repeat(62)}.zst`]) {
      chownSync(join(dataDir, file), 0, www.gid);
      chmodSync(join(dataDir, file), 0o640);
    }
    const layout: ServerLayout = {
      management: { host: '127.0.0.1', port: 5000 },
      deployment: { host: '127.0.0.1', port: 5002 },
      dataDir,
      accel,
    };
    const checks = await byId(layout);
    expect([...checks.values()].filter((check) => !check.ok)).toEqual([]);
    expect(checks.get('nginx-proxy')?.detail).toBe(
      'rpi-deploy-deployment.conf -> 127.0.0.1:5002, rpi-deploy-management.conf -> 127.0.0.1:5000',
    );
    expect(checks.get('nginx-files')?.detail).toBe('5 folders and files checked');

    // A chunk written by hand as root with a private mode: nginx would answer 403.
    chmodSync(join(dataDir, 'chunks', 'ab', `ab${'0'.repeat(62)}.zst`), 0o600);
    expect((await byId(layout)).get('nginx-files')).toMatchObject({
      ok: false,
      detail: `${join(dataDir, 'chunks', 'ab', `ab${'0'.repeat(62)}.zst`)} (0600) is not readable`,
    });
  });

  it('says what is missing when X-Accel-Redirect is set without nginx, and is content without both', async () => {
    const server = {
      management: { host: '0.0.0.0', port: 5000 },
      deployment: { host: '0.0.0.0', port: 5001 },
      dataDir,
    };
    confDir = join(work, 'no-nginx');
    expect(await nginxLayoutChecks(confDir, { ...server, accel })).toEqual([
      expect.objectContaining({ id: 'nginx', ok: false, fix: expect.stringContaining('unset IMAGES_ACCEL_REDIRECT') }),
    ]);
    expect(await nginxLayoutChecks(confDir, { ...server, accel: {} })).toEqual([
      expect.objectContaining({ id: 'nginx', ok: true }),
    ]);
  });
});

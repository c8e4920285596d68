/**
 * The boot confirmation script as the product's first boot runs it: the real script under
 * /bin/sh, against the real server on loopback, with a plain folder standing in for `/`
 * (RPI_DEPLOY_ROOT). It must be heard once, and leave nothing of itself behind in every case.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { ConfigResponse, DeploymentDetailDto } from '@rpi-deploy/contracts';
import { uploadImage } from '@rpi-deploy/test-kit';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from '../../server/test/support/test-server';
import { BOOT_CONFIRM_PATHS, bootConfirmFiles, type BootConfirmTarget } from '../src/personalise/boot-confirm-unit';
import { makeWorkDir } from './support/work-dir';

jest.setTimeout(60_000);

const MACHINE_ID = '5f0c3a9e8d7b4c2a9e1f0a2b3c4d5e6f';
const ALL_FILES = Object.values(BOOT_CONFIRM_PATHS);

describe('the boot confirmation script', () => {
  const work = makeWorkDir('boot-confirm-script');
  let t: TestServer;
  let token: string;
  let units = 0;

  beforeAll(async () => {
    t = await bootTestServer();
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await api(t.management, '/api/venues', { method: 'POST', token, body: { code: 'CORO', name: 'Corona' } });
    await api(t.management, '/api/venues/CORO/karts', { method: 'POST', token, body: { from: 1, to: 9 } });
    const image = join(work.path, 'tiny.img');
    writeFileSync(image, randomBytes(64 * 1024));
    await uploadImage(t.management, token, { filePath: image, product: 'KXP2', version: '2.0.0', activate: true });
  });
  afterAll(async () => {
    await t?.close();
    work.remove();
  });

  /** A deployment that has reported success, as the unit's installer leaves it before rebooting. */
  async function succeededDeployment(): Promise<ConfigResponse> {
    units += 1;
    const unit = { serial: `40000000000000${units.toString(16).padStart(2, '0')}`, mac: `2c:cf:67:02:00:0${units}` };
    const config = (await api(t.deployment, '/api/config', {
      method: 'POST',
      body: { ...unit, product: 'KXP2', venue: 'CORO' },
    })) as { body: ConfigResponse };
    for (const status of ['starting', 'downloading', 'verifying', 'customizing', 'success']) {
      const report = await api(t.deployment, '/api/status', {
        method: 'POST',
        body: { deploymentId: config.body.deploymentId, status },
        headers: { authorization: `Bearer ${config.body.statusToken}` },
      });
      expect(report.status).toBe(200);
    }
    return config.body;
  }

  /** A folder laid out like the booted product's root, holding what the personalisation wrote. */
  function productRoot(target: BootConfirmTarget, hostname: string): string {
    const root = join(work.path, `root-${units}-${Math.random().toString(36).slice(2)}`);
    const write = (path: string, content: string, mode = 0o644) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content, { mode });
      chmodSync(join(root, path), mode);
    };
    for (const [path, file] of Object.entries(bootConfirmFiles(target, hostname))) write(path, file.content, file.mode);
    mkdirSync(dirname(join(root, BOOT_CONFIRM_PATHS.wants)), { recursive: true });
    symlinkSync('../rpi-deploy-boot-confirm.service', join(root, BOOT_CONFIRM_PATHS.wants));
    write('/proc/sys/kernel/hostname', `${hostname.toLowerCase()}\n`);
    write('/etc/machine-id', `${MACHINE_ID}\n`);
    write('/etc/os-release', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n');
    write('/etc/rpi-issue', 'Raspberry Pi reference 2024-11-19\nGenerated using pi-gen\n');
    return root;
  }

  async function runScript(root: string, env: Record<string, string> = {}) {
    const started = Date.now();
    const { stdout, stderr } = await promisify(execFile)('/bin/sh', [join(root, BOOT_CONFIRM_PATHS.script)], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', RPI_DEPLOY_ROOT: root, ...env },
    });
    return { stdout, stderr, seconds: (Date.now() - started) / 1000 };
  }

  const left = (root: string) => ALL_FILES.filter((path) => existsSync(join(root, path)));
  const detail = async (id: string) =>
    (await api(t.management, `/api/deployments/${id}`, { token })).body as DeploymentDetailDto;

  it('confirms the boot with what the unit says about itself, then removes itself', async () => {
    const deployment = await succeededDeployment();
    const root = productRoot(
      { server: `${t.deployment}/`, deploymentId: deployment.deploymentId, statusToken: deployment.statusToken },
      deployment.hostname,
    );
    expect(left(root)).toEqual(ALL_FILES);

    const run = await runScript(root);
    expect(run.stdout).toBe(`rpi-deploy boot confirmation: confirmed to ${t.deployment}\n`);
    expect(run.stderr).toBe('');
    expect(left(root)).toEqual([]);
    const confirmed = await detail(deployment.deploymentId);
    expect(confirmed.bootedAt).not.toBeNull();
    expect(confirmed.boot).toMatchObject({
      state: 'booted',
      hostname: deployment.hostname.toLowerCase(),
      machineId: MACHINE_ID,
      imageVersion: 'Raspberry Pi reference 2024-11-19',
      hostnameMismatch: null,
    });
    expect(confirmed.boot!.kernel).toMatch(/^\d+\.\d+/);
    // The server came through loopback, so the unit's reported address is one of this machine's.
    expect(confirmed.boot!.address === null || /^[0-9a-f:.]+$/i.test(confirmed.boot!.address)).toBe(true);
  });

  it('confirms through wget where there is no curl, and reads the version from os-release', async () => {
    const deployment = await succeededDeployment();
    const root = productRoot(
      { server: t.deployment, deploymentId: deployment.deploymentId, statusToken: deployment.statusToken },
      deployment.hostname,
    );
    const bin = join(root, 'test-bin');
    mkdirSync(bin);
    const tools = ['sh', 'head', 'tr', 'cut', 'sed', 'awk', 'uname', 'date', 'sleep', 'rm', 'grep', 'tail', 'wget'];
    for (const tool of tools) symlinkSync(await which(tool), join(bin, tool));
    rmSync(join(root, 'etc/rpi-issue'));

    const run = await runScript(root, { PATH: bin });
    expect(run.stdout).toBe(`rpi-deploy boot confirmation: confirmed to ${t.deployment}\n`);
    expect(left(root)).toEqual([]);
    expect((await detail(deployment.deploymentId)).boot).toMatchObject({
      state: 'booted',
      machineId: MACHINE_ID,
      imageVersion: 'Debian GNU/Linux 12 (bookworm)',
      // No hostname, no ip in this PATH: the address is left out rather than guessed.
      address: null,
    });
  });

  it('gives up at once when the server refuses (already confirmed), and removes itself', async () => {
    const deployment = await succeededDeployment();
    const target = { server: t.deployment, deploymentId: deployment.deploymentId, statusToken: deployment.statusToken };
    await runScript(productRoot(target, deployment.hostname));
    const root = productRoot(target, deployment.hostname);
    const run = await runScript(root, { RPI_DEPLOY_CONFIRM_WAIT: '5' });
    expect(run.stdout).toBe(
      `rpi-deploy boot confirmation: ${t.deployment} refused the confirmation (409): giving up\n`,
    );
    expect(run.seconds).toBeLessThan(4);
    expect(left(root)).toEqual([]);
  });

  it('retries a server it cannot reach for the bounded time, gives up quietly and leaves nothing', async () => {
    const deployment = await succeededDeployment();
    // A loopback port nobody listens on: the unit was moved off the deployment VLAN.
    const root = productRoot(
      { server: 'http://127.0.0.1:9', deploymentId: deployment.deploymentId, statusToken: deployment.statusToken },
      deployment.hostname,
    );
    const run = await runScript(root, { RPI_DEPLOY_CONFIRM_SECONDS: '3', RPI_DEPLOY_CONFIRM_WAIT: '1' });
    expect(run.stdout).toBe('rpi-deploy boot confirmation: http://127.0.0.1:9 did not answer for 3 s: giving up\n');
    expect(run.stderr).toBe('');
    // It paused at least once (1 s, then 2 s...) and never past the 3 s bound (whole seconds of `date +%s`).
    expect(run.seconds).toBeGreaterThanOrEqual(1);
    expect(run.seconds).toBeLessThan(3 + 2);
    expect(left(root)).toEqual([]);
    expect((await detail(deployment.deploymentId)).boot).toMatchObject({ state: 'waiting', bootedAt: null });
  });

  it('removes itself when neither curl nor wget exists', async () => {
    const deployment = await succeededDeployment();
    const root = productRoot(
      { server: t.deployment, deploymentId: deployment.deploymentId, statusToken: deployment.statusToken },
      deployment.hostname,
    );
    const bin = join(root, 'test-bin');
    mkdirSync(bin);
    for (const tool of ['head', 'tr', 'cut', 'sed', 'uname', 'rm']) symlinkSync(await which(tool), join(bin, tool));
    const run = await runScript(root, { PATH: bin });
    expect(run.stdout).toBe('rpi-deploy boot confirmation: neither curl nor wget: cannot confirm\n');
    expect(left(root)).toEqual([]);
  });
});

async function which(tool: string): Promise<string> {
  const { stdout } = await promisify(execFile)('/bin/sh', ['-c', `command -v ${tool}`]);
  return stdout.trim();
}

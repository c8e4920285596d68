/**
 * Issue 18 through the real initramfs /init under QEMU (arm64 virt, as initramfs-qemu does):
 * a transient failure (the server unreachable) is retried with doubling delays exactly
 * deploy.retries times, then /init gives up and stays; a permanent one (a card too small) makes
 * the installer report its failure code and wait; an operator's retry starts the install again at
 * once and a power-off switches the guest off (QEMU exits). Kept short: a tiny image, delays of
 * seconds, the runtime fetched once.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DeploymentDto, UnitCommandDto } from '@rpi-deploy/contracts';
import { freePort, uploadImage } from '@rpi-deploy/test-kit';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from '../../../server/test/support/test-server';
import {
  buildInitramfs,
  bootVirt,
  initramfsCache,
  prepareVirtKernel,
  VIRT_MODULES,
  WORKSPACE,
} from '../../initramfs/qemu-virt';

const BUILD_TIMEOUT_MS = 15 * 60_000;
const BOOT_BUDGET_MS = 8 * 60_000;
const SERIAL = '10000000fa11ed01';
const MAC = '52:54:00:5e:1f:18';
const TOOLS = ['qemu-system-aarch64', 'dtc', 'cpio', 'depmod', 'zstd'];

jest.setTimeout(BUILD_TIMEOUT_MS + 2 * BOOT_BUDGET_MS);

describe('failure classes and the retry limit through the initramfs /init under QEMU', () => {
  let work: string;
  let server: TestServer;
  let token: string;
  let kernel: ReturnType<typeof prepareVirtKernel>;
  let deployPort: number;

  const boot = (
    append: string[],
    card: string,
    options: { stopOn?: RegExp; whileRunning?: () => Promise<void> } = {},
  ) =>
    bootVirt({
      kernel,
      initrdParts: [join(WORKSPACE, 'dist/netboot/initramfs.img'), kernel.modulesArchive],
      card,
      append: [...append, 'deploy.device=/dev/vda', `deploy.modules=${VIRT_MODULES.join(',')}`].join(' '),
      serial: SERIAL,
      mac: MAC,
      workDir: work,
      timeoutMs: BOOT_BUDGET_MS,
      stopOn: options.stopOn,
    });

  beforeAll(async () => {
    const missing = TOOLS.filter((tool) => !onPath(tool));
    if (missing.length > 0) {
      throw new Error(`missing ${missing.join(', ')}: run 'bash infra/install-system-deps.sh' as root`);
    }
    buildInitramfs();
    kernel = prepareVirtKernel(join(initramfsCache(), 'virt'));
    work = mkdtempSync(join(tmpdir(), 'initramfs-failures-'));
    deployPort = await freePort();
    server = await bootTestServer({
      DEPLOY_HOST: '127.0.0.1',
      DEPLOY_PORT: String(deployPort),
      DEPLOY_PUBLIC_URL: `http://10.0.2.2:${deployPort}`,
      NETBOOT_BUILD_DIR: join(WORKSPACE, 'dist/netboot'),
    });
    token = (await login(server.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await api(server.management, '/api/venues', { method: 'POST', token, body: { code: 'CORO', name: 'Corona' } });
    await api(server.management, '/api/venues/CORO/karts', { method: 'POST', token, body: { from: 1, to: 5 } });
    const image = join(work, 'four-mib.img');
    writeFileSync(image, randomBytes(4 << 20));
    await uploadImage(server.management, token, { filePath: image, product: 'KXP2', version: '1.0.0', activate: true });
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('retries a transient failure deploy.retries times with doubling delays, then gives up', async () => {
    const card = blankCard('transient.img', 8 << 20);
    const closedPort = await freePort();
    const run = await boot(
      [`deploy.server=http://10.0.2.2:${closedPort}`, 'deploy.retries=2', 'deploy.retry-delay=1'],
      card,
      {
        // The whole line: QEMU is stopped as soon as this matches, and the console may lag a line.
        stopOn: /deploy-init: giving up after \d+ attempts: .*\(deploy\.retries=\d+\)/,
      },
    );
    const flow = run.console
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /^deploy-init: .*(attempt|trying again|giving up)/.test(line));
    const retrying = (delay: number, next: number) =>
      `deploy-init: transient failure: trying again in ${delay} s (attempt ${next} of 3; boot with deploy.debug=1 for a shell instead)`;
    expect(flow).toEqual([
      'deploy-init: attempt 1 of 3',
      'deploy-init: attempt 1 failed (exit 1)',
      retrying(1, 2),
      'deploy-init: attempt 2 of 3',
      'deploy-init: attempt 2 failed (exit 1)',
      retrying(2, 3),
      'deploy-init: attempt 3 of 3',
      'deploy-init: attempt 3 failed (exit 1)',
      'deploy-init: giving up after 3 attempts: fix the cause, then power-cycle the unit (deploy.retries=2)',
    ]);
    process.stdout.write(`transient: 3 attempts and giving up in ${(run.elapsedMs / 1000).toFixed(1)} s\n`);
  });

  it('stops on a permanent failure (card too small), retries when asked and powers off when asked', async () => {
    const card = blankCard('too-small.img', 1 << 20);
    const manage = (path: string, method = 'GET', body?: unknown) =>
      api(server.management, path, { method, token, body });
    const failedDeployments = async () =>
      ((await manage('/api/deployments?status=failed')).body as { items: DeploymentDto[] }).items.filter(
        (item) => item.serial === SERIAL,
      );
    // 409 until the unit polls for the first time.
    const sendOnceWaiting = (deploymentId: string, command: string) =>
      waitFor(async () => {
        const response = await manage(`/api/deployments/${deploymentId}/commands`, 'POST', { command });
        return response.status === 201 ? (response.body as UnitCommandDto) : undefined;
      });
    const operator = (async () => {
      const first = await waitFor(async () => (await failedDeployments())[0]);
      await sendOnceWaiting(first.id, 'retry');
      const second = await waitFor(async () => (await failedDeployments()).find((item) => item.id !== first.id));
      await sendOnceWaiting(second.id, 'poweroff');
      return [first, second];
    })();

    const run = await boot(
      [`deploy.server=http://10.0.2.2:${deployPort}`, 'deploy.product=KXP2', 'deploy.venue=CORO'],
      card,
    );
    process.stdout.write(`permanent: fail, retry, fail, power off in ${(run.elapsedMs / 1000).toFixed(1)} s\n`);
    if (run.timedOut) throw new Error(`the guest did not power off; console:\n${run.console.slice(-6000)}`);
    const [first, second] = await operator;
    for (const deployment of [first, second]) {
      expect(deployment).toMatchObject({ failureCode: 'card_too_small', failureClass: 'permanent' });
    }
    expect(run.console).toContain(
      'pi-installer: failure class: SD card too small (card_too_small, permanent, 5 red blinks)',
    );
    expect(run.console).toContain('pi-installer: waiting for an operator');
    // A permanent failure is not retried on a timer: only the operator's retry started attempt 1 again.
    expect(run.console).not.toContain('transient failure: trying again');
    expect(run.console).toContain('deploy-init: an operator asked to retry: starting again');
    // The installer switches the guest off itself (poweroff -f); /init's own power-off is only a fall-back.
    expect(run.console).toContain('pi-installer: powering off (poweroff -f)');
    expect(run.console).toMatch(/reboot: Power down/);
    expect(run.exitCode).toBe(0);
  });

  function blankCard(name: string, size: number): string {
    const card = join(work, name);
    writeFileSync(card, Buffer.alloc(0));
    truncateSync(card, size);
    return card;
  }
});

/** Polls `read` until it gives a value, for at most the boot budget (the guest ends the test before). */
async function waitFor<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (const started = Date.now(); Date.now() - started < BOOT_BUDGET_MS; await pause(500)) {
    const value = await read();
    if (value) return value;
  }
  throw new Error(`not within ${BOOT_BUDGET_MS / 1000} s`);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function onPath(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

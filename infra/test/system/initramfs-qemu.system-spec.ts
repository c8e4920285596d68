/**
 * The netboot initramfs proven under emulation: Debian's arm64 kernel boots the built first stage
 * on QEMU's virt machine, which fetches the runtime from the REAL server on the host's loopback,
 * runs the installer onto a file-backed card and reboots. The card must match the image, carry
 * the assigned hostname, and the server must hold the whole event trail.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeploymentDetailDto } from '@rpi-deploy/contracts';
import {
  buildPiOsImage,
  checkExt4,
  checkFat,
  freePort,
  readExt4File,
  uploadImage,
  type PiOsImage,
} from '@rpi-deploy/test-kit';
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
/** The budget for the emulated run, boot to reboot. */
const BOOT_BUDGET_MS = 10 * 60_000;
const SERIAL = '10000000abc12345';
const MAC = '52:54:00:5e:1f:07';
const HOSTNAME = 'KXP2-CORO-001';
const TOOLS = ['qemu-system-aarch64', 'dtc', 'cpio', 'depmod', 'zstd', 'debugfs', 'mcopy', 'sfdisk', 'mkfs.vfat'];

jest.setTimeout(BUILD_TIMEOUT_MS + BOOT_BUDGET_MS);

describe('netboot initramfs under QEMU (arm64 virt, software emulation)', () => {
  let work: string;
  let server: TestServer;
  let token: string;
  let image: PiOsImage;
  let kernel: ReturnType<typeof prepareVirtKernel>;
  let deployPort: number;

  beforeAll(async () => {
    // Never a skip: a missing tool or a failed download fails the suite, saying what to do.
    const missing = TOOLS.filter((tool) => !onPath(tool));
    if (missing.length > 0) {
      throw new Error(`missing ${missing.join(', ')}: run 'bash infra/install-system-deps.sh' as root`);
    }
    buildInitramfs();
    kernel = prepareVirtKernel(join(initramfsCache(), 'virt'));

    work = mkdtempSync(join(tmpdir(), 'initramfs-qemu-'));
    // Small on purpose: 96 MiB with a few MiB of data keeps the emulated write short.
    image = buildPiOsImage(work, { sizeMiB: 96, randomDataMiB: 6 });

    deployPort = await freePort();
    server = await bootTestServer({
      DEPLOY_HOST: '127.0.0.1',
      DEPLOY_PORT: String(deployPort),
      // The guest reaches the host's loopback as 10.0.2.2 (QEMU user-mode networking).
      DEPLOY_PUBLIC_URL: `http://10.0.2.2:${deployPort}`,
      NETBOOT_BUILD_DIR: join(WORKSPACE, 'dist/netboot'),
    });
    token = (await login(server.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await expectOk(
      api(server.management, '/api/venues', { method: 'POST', token, body: { code: 'CORO', name: 'Corona' } }),
    );
    await expectOk(
      api(server.management, '/api/venues/CORO/karts', { method: 'POST', token, body: { from: 1, to: 5 } }),
    );
    await uploadImage(server.management, token, {
      filePath: image.path,
      product: 'KXP2',
      version: '1.0.0',
      activate: true,
    });
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('boots, installs the image onto the card, reports every phase and reboots', async () => {
    const card = join(work, 'card.img');
    writeFileSync(card, Buffer.alloc(0));
    truncateSync(card, 128 << 20);

    const run = await bootVirt({
      kernel,
      initrdParts: [join(WORKSPACE, 'dist/netboot/initramfs.img'), kernel.modulesArchive],
      card,
      append: [
        `deploy.server=http://10.0.2.2:${deployPort}`,
        'deploy.device=/dev/vda',
        'deploy.product=KXP2',
        'deploy.venue=CORO',
        `deploy.modules=${VIRT_MODULES.join(',')}`,
      ].join(' '),
      serial: SERIAL,
      mac: MAC,
      workDir: work,
      timeoutMs: BOOT_BUDGET_MS,
      // A failed attempt ends the run at once: /init would retry it, or the installer wait for an operator.
      stopOn: /deploy-init: attempt \d+ failed|pi-installer: waiting for an operator/,
    });
    process.stdout.write(
      `initramfs under QEMU: boot to reboot in ${(run.elapsedMs / 1000).toFixed(1)} s ` +
        `(budget ${BOOT_BUDGET_MS / 60_000} min, kernel ${kernel.version})\n`,
    );
    const consoleTail = run.console.slice(-6000);
    if (run.timedOut || run.exitCode !== 0 || !run.console.includes('deploy-init: install finished: rebooting')) {
      throw new Error(
        `the guest did not finish (exit ${run.exitCode}${run.timedOut ? ', timed out' : ''}); console:\n${consoleTail}`,
      );
    }
    expect(run.console).toContain(`deploy-init: downloading http://10.0.2.2:${deployPort}/netboot/runtime.tar.zst`);
    // The card is a block device: written and read back with O_DIRECT (arm64 Node, aligned WebAssembly memory).
    expect(run.console).not.toMatch(/does not take O_DIRECT|refused an O_DIRECT/);
    expect(run.console).toMatch(/pi-installer: verified [\d.]+ MiB from the card/);
    // The runtime's Node decodes zstd, so the unit installs from the chunk store, not the whole image.
    expect(run.console).not.toContain('has no zstd');
    expect(run.console).toMatch(/pi-installer: chunks: .* fetched, .* written, 0 of \d+ chunks reused from the card/);

    // The card: identical outside the partitions (partition table first), file systems intact,
    // the image's data files byte for byte, and the hostname the server assigned.
    const { boot, root } = image.partitions;
    const differing = differingBlocks(card, image);
    expect(differing.outside).toEqual([]);
    // Hostname, machine-id, SSH keys, first-boot script: a handful of blocks, not the image's data.
    expect(differing.inside).toBeGreaterThan(0);
    expect(differing.inside).toBeLessThan(200);
    expect(checkFat(card, boot.startBytes, boot.sizeBytes)).toMatchObject({ clean: true });
    expect(checkExt4(card, root.startBytes)).toMatchObject({ clean: true });
    for (const [path, sha256] of Object.entries(image.dataFiles)) {
      expect([path, sha256Of(readExt4File(card, root.startBytes, path))]).toEqual([path, sha256]);
    }
    expect(readExt4File(card, root.startBytes, '/etc/hostname').toString()).toBe(`${HOSTNAME}\n`);

    // The server: one successful deployment of this unit, every phase in order.
    const page = (await api(server.management, '/api/deployments?status=success', { token })).body;
    expect(page.total).toBe(1);
    const detail = (await api(server.management, `/api/deployments/${page.items[0].id}`, { token }))
      .body as DeploymentDetailDto;
    expect(detail).toMatchObject({
      hostname: HOSTNAME,
      serial: SERIAL,
      mac: MAC,
      imageVersion: '1.0.0',
      progress: 100,
    });
    // What it moved: every chunk fetched compressed (fewer bytes than it wrote), none reused.
    expect(detail.transfer).toMatchObject({ chunksReused: 0, chunksTotal: expect.any(Number) });
    expect(detail.transfer!.chunksTotal).toBeGreaterThan(0);
    expect(detail.transfer!.bytesFetched).toBeLessThan(detail.transfer!.bytesWritten);
    const phases = detail.events.map((event) => event.status).filter((status, index, all) => status !== all[index - 1]);
    expect(phases).toEqual(['starting', 'downloading', 'verifying', 'customizing', 'success']);
  });
});

function onPath(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function expectOk(request: Promise<{ status: number; body: unknown }>): Promise<void> {
  const { status, body } = await request;
  if (status >= 300) throw new Error(`setup request failed: ${status} ${JSON.stringify(body)}`);
}

function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Card against image in 4 KiB blocks over the image's length: offsets that differ outside both
 * partitions (partition table, gaps: must be none), and how many differ inside (personalisation).
 */
function differingBlocks(cardPath: string, source: PiOsImage): { outside: number[]; inside: number } {
  const block = 4096;
  const card = openSync(cardPath, 'r');
  const original = openSync(source.path, 'r');
  const a = Buffer.alloc(block);
  const b = Buffer.alloc(block);
  const { boot, root } = source.partitions;
  const inside = (offset: number) =>
    [boot, root].some((p) => offset >= p.startBytes && offset < p.startBytes + p.sizeBytes);
  const result = { outside: [] as number[], inside: 0 };
  try {
    for (let offset = 0; offset < source.size; offset += block) {
      readSync(card, a, 0, block, offset);
      readSync(original, b, 0, block, offset);
      if (a.equals(b)) continue;
      if (inside(offset)) result.inside += 1;
      else result.outside.push(offset);
    }
  } finally {
    closeSync(card);
    closeSync(original);
  }
  return result;
}

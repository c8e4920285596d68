/**
 * An acknowledged status report survives a power cut, not only a killed process.
 *
 * How the power cut is simulated: the server's DATA_DIR is on a fresh ext4 in a loop-mounted
 * file (the "disk"). After the acknowledgements the server gets SIGKILL and, with that ext4
 * still mounted, the disk file is copied: the copy holds what reached the device (written back
 * or fsynced) and none of the dirty pages still in the page cache, which is what a power cut
 * leaves. The copy is then mounted (ext4 replays its journal as after a reboot) and the real
 * server started on it must show every acknowledged report.
 *
 * Why not simpler: SIGKILL with `drop_caches` keeps the dirty pages (they are written back, not
 * dropped), so it passes without any fsync; device-mapper (dm-flakey, dm-log-writes) is not in
 * this machine's kernel. The copy is a little kinder than a real disk: writes the loop device
 * received but was not asked to flush count as stored. With `synchronous = NORMAL` (SQLite syncs
 * the WAL only at checkpoints) this test fails: the reports since the last checkpoint are gone.
 * It relies on the kernel not writing those dirty pages back within the few seconds the test
 * takes (the flusher waits 30 s, `vm.dirty_expire_centisecs`) and on `noauto_da_alloc`, which
 * stops ext4 from flushing a rewritten file when the killed process's files are closed.
 *
 * Needs root, losetup (util-linux), mkfs.ext4 (e2fsprogs) and the built server.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigResponse, DeploymentDetailDto } from '@rpi-deploy/contracts';
import { freePort, uploadImage } from '@rpi-deploy/test-kit';
import { BUILT_SERVER, spawnServer, type ServerProcess } from '../../../server/test/support/server-process';
import { api, login } from '../../../server/test/support/test-server';

const UNITS = 8;
const REPORTS_PER_UNIT = 25;
const ADMIN_PASSWORD = 'power-cut-admin-pw';

function requireTools(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('must run as root (loop devices, mount)');
  for (const tool of ['losetup', 'mkfs.ext4', 'mount', 'umount', 'mountpoint']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      problems.push(`${tool} is missing`);
    }
  }
  if (!existsSync(BUILT_SERVER)) problems.push(`${BUILT_SERVER} is missing: run npx nx build server`);
  if (problems.length > 0) {
    throw new Error(
      `The power-cut test cannot run: ${problems.join('; ')}. Run as root after bash infra/install-system-deps.sh`,
    );
  }
}

describe('a power cut right after status reports were acknowledged', () => {
  let work: string;
  const mounts: string[] = [];
  const servers: ServerProcess[] = [];

  /** Mounts the ext4 in `file` through a loop device (detached again by umount). */
  const mountDisk = (file: string, folder: string) => {
    mkdirSync(folder);
    // noauto_da_alloc: see the top of the file.
    execFileSync('mount', ['-o', 'loop,noauto_da_alloc', file, folder]);
    mounts.push(folder);
  };
  const start = async (dataDir: string) => {
    const ports = { management: await freePort(), deployment: await freePort() };
    // The small disk keeps no 1 GiB in reserve for images: the test image is 64 KiB.
    const env = { DATA_DIR: dataDir, ADMIN_PASSWORD, IMAGE_DISK_RESERVE_BYTES: String(16 << 20) };
    const server = await spawnServer(env, ports);
    servers.push(server);
    return server;
  };

  beforeAll(() => {
    requireTools();
    work = mkdtempSync(join(tmpdir(), 'power-cut-'));
  });

  afterAll(async () => {
    for (const server of servers) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    for (const folder of mounts.reverse()) {
      if (spawnOk('mountpoint', ['-q', folder])) execFileSync('umount', [folder]);
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('loses none of them', async () => {
    const disk = join(work, 'disk.img');
    execFileSync('truncate', ['-s', '256M', disk]);
    execFileSync('mkfs.ext4', ['-q', '-F', disk]);
    mountDisk(disk, join(work, 'before'));
    const server = await start(join(work, 'before', 'data'));

    const { accessToken: token } = await login(server.management, 'admin', ADMIN_PASSWORD);
    const venue = await api(server.management, '/api/venues', {
      method: 'POST',
      token,
      body: { code: 'VOLT', name: 'Power cut' },
    });
    expect(venue.status).toBe(201);
    const karts = await api(server.management, '/api/venues/VOLT/karts', {
      method: 'POST',
      token,
      body: { from: 1, to: UNITS },
    });
    expect(karts.status).toBe(200);
    const imageFile = join(work, 'tiny.img');
    writeFileSync(imageFile, randomBytes(64 * 1024));
    await uploadImage(server.management, token, { filePath: imageFile, product: 'KXP2', version: '1', activate: true });

    // Units report concurrently, so reports share group commits as in production.
    const acknowledged = new Map<string, number[]>();
    const unit = async (n: number) => {
      const config = await api(server.deployment, '/api/config', {
        method: 'POST',
        body: {
          serial: `50000000${n.toString(16).padStart(8, '0')}`,
          mac: `02:00:00:00:01:0${n}`,
          product: 'KXP2',
          venue: 'VOLT',
        },
      });
      expect(config.status).toBe(200);
      const { deploymentId, statusToken } = config.body as ConfigResponse;
      acknowledged.set(deploymentId, []);
      for (let progress = 1; progress <= REPORTS_PER_UNIT; progress += 1) {
        const response = await api(server.deployment, '/api/status', {
          method: 'POST',
          body: { deploymentId, status: 'downloading', progress },
          headers: { authorization: `Bearer ${statusToken}` },
        });
        expect(response.status).toBe(200);
        acknowledged.get(deploymentId)!.push(progress);
      }
    };
    await Promise.all(Array.from({ length: UNITS }, (_, n) => unit(n)));

    // The power cut: nothing more reaches the disk than what is on it now.
    server.child.kill('SIGKILL');
    await server.exited;
    const afterCut = join(work, 'after-cut.img');
    execFileSync('cp', ['--sparse=always', disk, afterCut]);
    execFileSync('umount', [join(work, 'before')]);

    mountDisk(afterCut, join(work, 'after'));
    const restarted = await start(join(work, 'after', 'data'));
    const { accessToken } = await login(restarted.management, 'admin', ADMIN_PASSWORD);
    const missing: string[] = [];
    for (const [id, progresses] of acknowledged) {
      const detail = await api(restarted.management, `/api/deployments/${id}`, { token: accessToken });
      const stored = new Set(
        detail.status === 200 ? (detail.body as DeploymentDetailDto).events.map((event) => event.progress) : [],
      );
      missing.push(...progresses.filter((progress) => !stored.has(progress)).map((p) => `${id} at ${p}%`));
    }
    // Every acknowledged report is on the disk after the cut (the first few lost ones shown).
    expect({ lost: missing.length, first: missing.slice(0, 5) }).toEqual({ lost: 0, first: [] });
    expect([...acknowledged.values()].flat()).toHaveLength(UNITS * REPORTS_PER_UNIT);
  }, 90_000);
});

function spawnOk(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

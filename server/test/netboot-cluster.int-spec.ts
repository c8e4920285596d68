import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { SOCKET_EVENTS, type NetbootDeviceDto, type NetbootStatusDto } from '@rpi-deploy/contracts';
import { buildPiOsImage, startTestS3, type PiOsImage, type TestS3Server, waitFor } from '@rpi-deploy/test-kit';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { CLUSTER_ADMIN_PASSWORD, startCluster, type Cluster, type Instance } from './support/cluster';
import { testDatabases } from './support/test-databases';
import { api, login } from './support/test-server';

/** The bytes of a file in the image's FAT boot partition, read independently of the server. */
function bootFile(image: PiOsImage, path: string): Buffer {
  return execFileSync('mtype', ['-i', `${image.path}@@${image.partitions.boot.startBytes}`, `::/${path}`], {
    env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
    maxBuffer: 64 << 20,
  });
}

const tftpRoot = (instance: Instance) => join(instance.dataDir, 'tftp', 'root');

/**
 * Netboot stays per host (dnsmasq and the TFTP root beside each instance) while the settings are
 * shared: two instances on one PostgreSQL, each with its own TFTP root, the images in one S3
 * bucket (s3rver): each host fetches the boot partition it needs from there. What one instance is told must reach the other's root, and boot events seen by one
 * host must reach the dashboards of the other.
 */
describe('netboot across two instances on one PostgreSQL', () => {
  const postgres = testDatabases().find((database) => database.name === 'postgres')!;
  let work: string;
  let cluster: Cluster;
  let s3: TestS3Server;
  let a: Instance;
  let b: Instance;
  let token: string;
  let first: PiOsImage;

  const status = async (instance: Instance) =>
    (await api(instance.management, '/api/netboot/status', { token })).body as NetbootStatusDto;
  const upload = async (instance: Instance, image: PiOsImage, version: string) => {
    const uploaded = await uploadMultipart({
      url: `${instance.management}/api/images`,
      token,
      fields: { product: 'KXP2', version },
      filePath: image.path,
    });
    expect(uploaded.status).toBe(201);
    return (uploaded.body as { id: number }).id;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'rpi-deploy-netboot-cluster-'));
    mkdirSync(join(work, 'build'));
    writeFileSync(join(work, 'build', 'initramfs.img'), 'initramfs bytes for the test\n');
    s3 = await startTestS3('rpi-deploy-netboot');
    cluster = await startCluster((await postgres.create())!, {
      NETBOOT_BUILD_DIR: join(work, 'build'),
      IMAGE_STORE_URL: s3.storeUrl('netboot'),
      NETBOOT_INTERFACE: 'lo',
      DEPLOY_PUBLIC_URL: 'http://192.168.151.1:5001',
    });
    [a, b] = cluster.instances;
    token = (await login(a.management, 'admin', CLUSTER_ADMIN_PASSWORD)).accessToken;
    first = buildPiOsImage(work, { name: 'first.img', sizeMiB: 72, randomDataMiB: 1 });
    const id = await upload(a, first, '1.0.0');
    expect((await api(a.management, `/api/images/${id}/activate`, { method: 'POST', token })).status).toBe(200);
    // Each host sets up its own root once, as `rpi-deploy netboot sync-tftp` on each would.
    for (const instance of [a, b]) {
      const synced = await api(instance.management, '/api/netboot/sync-tftp', { method: 'POST', token });
      expect(synced.status).toBe(200);
      expect(synced.body).toMatchObject({ root: tftpRoot(instance), complete: true });
    }
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await postgres.dropAll();
    await s3?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('an image activated through one instance reaches both TFTP roots', async () => {
    const second = buildPiOsImage(work, { name: 'second.img', sizeMiB: 72, randomDataMiB: 1 });
    // Uploaded and activated on A alone: B hears of it only through the cluster, and reads the
    // boot files from the image A put in the bucket.
    const id = await upload(a, second, '1.1.0');
    expect((await api(a.management, `/api/images/${id}/activate`, { method: 'POST', token })).status).toBe(200);

    for (const instance of [a, b]) {
      await waitFor(`instance ${instance.name}'s root to boot 1.1.0`, async () =>
        (await status(instance)).tftp.images[0]?.version === '1.1.0' ? true : undefined,
      );
      const kernel = readFileSync(join(tftpRoot(instance), 'kernel_2712.img'));
      expect(kernel.equals(bootFile(second, 'kernel_2712.img'))).toBe(true);
      expect(kernel.equals(bootFile(first, 'kernel_2712.img'))).toBe(false);
    }
  });

  it("a unit's netboot settings changed on one instance reach the other's root, and so does their removal", async () => {
    const put = await api(b.management, '/api/netboot/units/abcd1234', {
      method: 'PUT',
      token,
      body: { venue: 'coro' },
    });
    expect(put.status).toBe(200);
    for (const instance of [a, b]) {
      await waitFor(`the unit folder on instance ${instance.name}`, async () =>
        existsSync(join(tftpRoot(instance), 'abcd1234', 'cmdline.txt')) ? true : undefined,
      );
      expect(readFileSync(join(tftpRoot(instance), 'abcd1234', 'cmdline.txt'), 'utf8')).toMatch(/deploy\.venue=CORO/);
    }

    expect((await api(b.management, '/api/netboot/units/abcd1234', { method: 'DELETE', token })).status).toBe(204);
    await waitFor("the unit folder to leave instance A's root", async () =>
      existsSync(join(tftpRoot(a), 'abcd1234')) ? undefined : true,
    );
  });

  it('a boot event seen by one host reaches the dashboards connected to the other', async () => {
    const sockets: Socket[] = [];
    const seenOn = (instance: Instance) => {
      const socket = io(instance.management, {
        path: '/socket.io',
        transports: ['websocket'],
        auth: { token },
        reconnection: false,
      });
      sockets.push(socket);
      const seen = new Promise<NetbootDeviceDto>((resolve) => socket.on(SOCKET_EVENTS.deviceSeen, resolve));
      const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      return { seen, connected };
    };
    try {
      const onA = seenOn(a);
      const onB = seenOn(b);
      await Promise.all([onA.connected, onB.connected]);
      const mac = 'd8:3a:dd:65:43:21';
      // dnsmasq on B's host calls B's hook with B's local secret.
      const hookSecret = readFileSync(join(b.dataDir, 'netboot', 'hook.secret'), 'utf8').trim();
      const hooked = await fetch(`${b.management}/api/netboot/hook`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-netboot-secret': hookSecret },
        body: new URLSearchParams({ action: 'add', arg2: mac, arg3: '192.168.151.121', tags: 'pxe rpi5' }).toString(),
      });
      expect(hooked.status).toBe(204);
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no device.seen within a second')), 1_000),
      );
      expect(await Promise.race([onA.seen, timeout])).toMatchObject({ mac, ip: '192.168.151.121', phase: 'dhcp' });
      expect(await Promise.race([onB.seen, timeout])).toMatchObject({ mac, ip: '192.168.151.121', phase: 'dhcp' });
    } finally {
      for (const socket of sockets) socket.close();
    }
  });
});

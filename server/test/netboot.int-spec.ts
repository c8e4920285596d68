import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import {
  SOCKET_EVENTS,
  type DevicesSeenEvent,
  type NetbootDeviceDto,
  type NetbootEventDto,
  type NetbootStatusDto,
  type PreflightReportDto,
} from '@rpi-deploy/contracts';
import { buildPiOsImage, type PiOsImage, waitFor } from '@rpi-deploy/test-kit';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';

/** The bytes of a file in the image's FAT boot partition, read independently of the server. */
function bootFile(image: PiOsImage, path: string): Buffer {
  return execFileSync('mtype', ['-i', `${image.path}@@${image.partitions.boot.startBytes}`, `::/${path}`], {
    env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
    maxBuffer: 64 << 20,
  });
}

describe('netboot API', () => {
  let t: TestServer;
  let work: string;
  let admin: string;
  let operator: string;
  let viewer: string;
  let image: PiOsImage;
  let tftpRoot: string;
  let logPath: string;
  const initramfs = Buffer.from('initramfs bytes for the test\n'.repeat(100));

  const get = (path: string, token = viewer) => api(t.management, path, { token });
  const post = (path: string, token = operator, body?: unknown) =>
    api(t.management, path, { method: 'POST', token, body });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'rpi-deploy-netboot-'));
    mkdirSync(join(work, 'build'));
    writeFileSync(join(work, 'build', 'initramfs.img'), initramfs);
    tftpRoot = join(work, 'tftp', 'root');
    logPath = join(work, 'dnsmasq.log');
    t = await bootTestServer({
      NETBOOT_BUILD_DIR: join(work, 'build'),
      TFTP_ROOT: tftpRoot,
      DNSMASQ_LOG: logPath,
      DNSMASQ_CONFIG: join(work, 'etc', 'dnsmasq.conf'),
      NETBOOT_INTERFACE: 'lo',
      DEPLOY_PUBLIC_URL: 'http://192.168.151.1:5001',
    });
    admin = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    for (const role of ['operator', 'viewer']) {
      const created = await api(t.management, '/api/users', {
        method: 'POST',
        token: admin,
        body: { username: role, password: `${role}-password-1`, role },
      });
      expect(created.status).toBe(201);
    }
    operator = (await login(t.management, 'operator', 'operator-password-1')).accessToken;
    viewer = (await login(t.management, 'viewer', 'viewer-password-1')).accessToken;
    image = buildPiOsImage(work, { sizeMiB: 72, randomDataMiB: 1 });
  });

  afterAll(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  describe('dnsmasq configuration', () => {
    it('renders the Pi 5 configuration from the settings for any logged-in user', async () => {
      const rendered = await get('/api/netboot/dnsmasq-config');
      expect(rendered.status).toBe(200);
      expect(rendered.headers.get('content-type')).toMatch(/^text\/plain/);
      const lines = (rendered.body as string).split('\n');
      for (const directive of [
        'port=0',
        'interface=lo',
        'dhcp-authoritative',
        'dhcp-range=192.168.151.100,192.168.151.250,255.255.255.0,1h',
        'dhcp-ignore-clid',
        'log-dhcp',
        `log-facility=${logPath}`,
        'dhcp-match=set:rpi5,97,0:52:50:69:35',
        'dhcp-match=set:rpi5,97,0:35:69:50:52',
        'pxe-service=tag:pxe,tag:rpi5,0,"Raspberry Pi Boot"',
        `tftp-root=${tftpRoot}`,
        'tftp-max=1000',
      ]) {
        expect(lines).toContain(directive);
      }
      expect(rendered.body).not.toMatch(/tftp-no-blocksize|dhcp-boot|client-arch|,11\b/);
      expect(lines.some((line) => line.startsWith('dhcp-script=') && line.endsWith('rpi-deploy-dhcp-hook.sh'))).toBe(
        true,
      );
      expect((await api(t.management, '/api/netboot/dnsmasq-config')).status).toBe(401);
    });

    it('writes it only for admins, after dnsmasq --test accepted it', async () => {
      expect((await post('/api/netboot/dnsmasq-config/apply', operator)).status).toBe(403);
      expect(existsSync(join(work, 'etc', 'dnsmasq.conf'))).toBe(false);
      const applied = await post('/api/netboot/dnsmasq-config/apply', admin);
      expect(applied.status).toBe(200);
      expect(applied.body.check).toEqual({ ok: true, output: 'dnsmasq: syntax check OK.' });
      const rendered = await get('/api/netboot/dnsmasq-config');
      expect(readFileSync(join(work, 'etc', 'dnsmasq.conf'), 'utf8')).toBe(rendered.body);
    });
  });

  describe('TFTP root', () => {
    it('refuses to sync without an active image and leaves no root behind', async () => {
      const refused = await post('/api/netboot/sync-tftp');
      expect(refused.status).toBe(409);
      expect(refused.body.message).toMatch(/No active image/);
      expect(existsSync(tftpRoot)).toBe(false);
      expect((await post('/api/netboot/sync-tftp', viewer)).status).toBe(403);
    });

    it("fills the root from the active image's boot partition and the templates, atomically", async () => {
      const uploaded = await uploadMultipart({
        url: `${t.management}/api/images`,
        token: operator,
        fields: { product: 'KXP2', version: '1.0.0' },
        filePath: image.path,
      });
      expect(uploaded.status).toBe(201);
      const id = (uploaded.body as { id: number }).id;
      expect((await post(`/api/images/${id}/activate`)).status).toBe(200);

      const synced = await post('/api/netboot/sync-tftp');
      expect(synced.status).toBe(200);
      const status = synced.body as NetbootStatusDto['tftp'];
      expect(status).toMatchObject({ root: tftpRoot, complete: true, missing: [] });
      expect(status.images).toEqual([{ product: 'KXP2', imageId: String(id), version: '1.0.0' }]);

      expect(lstatSync(tftpRoot).isSymbolicLink()).toBe(true);
      for (const file of [
        'kernel_2712.img',
        'bcm2712-rpi-5-b.dtb',
        'overlays/overlay_map.dtb',
        'overlays/bcm2712d0.dtbo',
        'overlays/vc4-kms-v3d.dtbo',
      ]) {
        expect(readFileSync(join(tftpRoot, file)).equals(bootFile(image, file))).toBe(true);
        expect(statSync(join(tftpRoot, file)).mode & 0o777).toBe(0o644);
      }
      expect(readFileSync(join(tftpRoot, 'initramfs.img')).equals(initramfs)).toBe(true);
      const configTxt = readFileSync(join(tftpRoot, 'config.txt'), 'utf8');
      expect(configTxt).toMatch(/^kernel=kernel_2712\.img$/m);
      expect(configTxt).toMatch(/^initramfs initramfs\.img followkernel$/m);
      expect(configTxt).toMatch(/^dtoverlay=vc4-kms-v3d$/m);
      expect(configTxt).not.toContain('{{');
      const cmdline = readFileSync(join(tftpRoot, 'cmdline.txt'), 'utf8');
      expect(cmdline.split('\n')).toHaveLength(2); // one line and its newline
      expect(cmdline).toContain('deploy.server=http://192.168.151.1:5001');
      expect(cmdline).not.toContain('deploy.product');

      // A second sync is a new release; the switch is one rename of the symlink.
      const first = readlinkSync(tftpRoot);
      expect((await post('/api/netboot/sync-tftp')).status).toBe(200);
      expect(readlinkSync(tftpRoot)).not.toBe(first);
      expect(existsSync(join(work, 'tftp', first))).toBe(true); // kept for Pis mid-boot
    });

    it('gives a unit its own folder when it boots another venue, and validates the serial', async () => {
      const bad = await api(t.management, '/api/netboot/units/xyz', {
        method: 'PUT',
        token: operator,
        body: { venue: 'CORO' },
      });
      expect(bad.status).toBe(400);
      const empty = await api(t.management, '/api/netboot/units/abcd1234', {
        method: 'PUT',
        token: operator,
        body: {},
      });
      expect(empty.status).toBe(400);
      const badVenue = await api(t.management, '/api/netboot/units/abcd1234', {
        method: 'PUT',
        token: operator,
        body: { venue: 'TOO-LONG' },
      });
      expect(badVenue.status).toBe(400);

      const saved = await api(t.management, '/api/netboot/units/10000000ABCD1234', {
        method: 'PUT',
        token: operator,
        body: { venue: 'coro' },
      });
      expect(saved.status).toBe(200);
      expect(saved.body).toMatchObject({ serial: 'abcd1234', venue: 'CORO', product: null });
      const cmdline = readFileSync(join(tftpRoot, 'abcd1234', 'cmdline.txt'), 'utf8');
      expect(cmdline).toContain('deploy.venue=CORO');
      expect(readFileSync(join(tftpRoot, 'abcd1234', 'config.txt'), 'utf8')).toMatch(/^kernel=kernel_2712\.img$/m);
      const kernel = join(tftpRoot, 'abcd1234', 'kernel_2712.img');
      expect(readFileSync(kernel).equals(bootFile(image, 'kernel_2712.img'))).toBe(true);
      expect(statSync(kernel).ino).toBe(statSync(join(tftpRoot, 'kernel_2712.img')).ino); // linked, not copied

      expect(
        (await api(t.management, '/api/netboot/units/abcd1234', { method: 'DELETE', token: operator })).status,
      ).toBe(204);
      expect(existsSync(join(tftpRoot, 'abcd1234'))).toBe(false);
      expect(
        (await api(t.management, '/api/netboot/units/abcd1234', { method: 'DELETE', token: operator })).status,
      ).toBe(404);

      // A product without an active image cannot be booted: refused, and nothing is saved.
      const refused = await api(t.management, '/api/netboot/units/abcd1234', {
        method: 'PUT',
        token: operator,
        body: { product: 'RXP2' },
      });
      expect(refused.status).toBe(409);
      expect(refused.body.message).toMatch(/RXP2, which has no active image/);
      expect((await get('/api/netboot/units')).body).toEqual([]);
      expect(existsSync(join(tftpRoot, 'abcd1234'))).toBe(false);
    });

    it('follows image activation by itself once set up', async () => {
      const second = buildPiOsImage(work, { name: 'second.img', sizeMiB: 72, randomDataMiB: 1 });
      const uploaded = await uploadMultipart({
        url: `${t.management}/api/images`,
        token: operator,
        fields: { product: 'KXP2', version: '1.1.0' },
        filePath: second.path,
      });
      const id = (uploaded.body as { id: number }).id;
      expect((await post(`/api/images/${id}/activate`)).status).toBe(200);
      await waitFor('the root to follow the activation', async () => {
        const status = (await get('/api/netboot/status')).body as NetbootStatusDto;
        return status.tftp.images[0]?.version === '1.1.0' ? status : undefined;
      });
      expect(readFileSync(join(tftpRoot, 'kernel_2712.img')).equals(bootFile(second, 'kernel_2712.img'))).toBe(true);
    });
  });

  describe('boot events', () => {
    const mac = 'd8:3a:dd:12:34:56';
    const hook = (form: Record<string, string>, secret?: string) =>
      fetch(`${t.management}/api/netboot/hook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(secret ? { 'x-netboot-secret': secret } : {}),
        },
        body: new URLSearchParams(form).toString(),
      });
    const secret = () => readFileSync(join(t.dataDir, 'netboot', 'hook.secret'), 'utf8').trim();
    const device = async () =>
      ((await get('/api/netboot/devices')).body as NetbootDeviceDto[]).find((d) => d.mac === mac);

    it('takes hook events only with the local secret and valid arguments', async () => {
      expect((await hook({ action: 'add', arg2: mac, arg3: '192.168.151.120' })).status).toBe(401);
      expect((await hook({ action: 'add', arg2: mac, arg3: '192.168.151.120' }, 'wrong')).status).toBe(401);
      expect((await hook({ action: 'add', arg2: 'not-a-mac', arg3: '192.168.151.120' }, secret())).status).toBe(400);
      expect((await hook({ action: 'add', arg2: mac, arg3: '999.1.1.1' }, secret())).status).toBe(400);
      expect((await hook({ action: 'reboot', arg2: mac, arg3: '192.168.151.120' }, secret())).status).toBe(400);
      expect(await device()).toBeUndefined();

      const socket = io(t.management, {
        path: '/socket.io',
        transports: ['websocket'],
        auth: { token: viewer },
        reconnection: false,
      });
      const seen = new Promise<NetbootDeviceDto>((resolve) => socket.on(SOCKET_EVENTS.deviceSeen, resolve));
      const batches: DevicesSeenEvent[] = [];
      socket.on(SOCKET_EVENTS.devicesSeen, (batch: DevicesSeenEvent) => batches.push(batch));
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      const added = await hook(
        {
          action: 'add',
          arg2: mac.toUpperCase(),
          arg3: '192.168.151.120',
          vendorClass: 'PXEClient:Arch:00000:UNDI:002001',
          tags: 'pxe rpi5 eth1',
        },
        secret(),
      );
      expect(added.status).toBe(204);
      expect(await device()).toMatchObject({ mac, ip: '192.168.151.120', phase: 'dhcp', serial: null });
      // Outside clients hear of it at once, the dashboards within a tick, in a batch.
      expect(await seen).toMatchObject({ mac, ip: '192.168.151.120', phase: 'dhcp' });
      await waitFor('the tick with the device', async () => (batches.length > 0 ? true : undefined));
      expect(batches).toEqual([[expect.objectContaining({ mac, ip: '192.168.151.120', phase: 'dhcp' })]]);
      socket.close();
      const events = (await get(`/api/netboot/events?mac=${mac}`)).body as NetbootEventDto[];
      expect(events[0]).toMatchObject({ kind: 'lease-add', mac, ip: '192.168.151.120' });
    });

    it("reads dnsmasq's log: files sent, the serial from its folder, probes that are not errors", async () => {
      const line = (text: string) => appendFileSync(logPath, `Nov 26 01:15:13 dnsmasq-tftp[3509]: ${text}\n`);
      line(`file ${tftpRoot}/abcd1234/config.txt not found for 192.168.151.120`);
      line(`sent ${tftpRoot}/config.txt to 192.168.151.120`);
      line('error 0 Early terminate received from 192.168.151.120');
      line(`failed sending ${tftpRoot}/kernel_2712.img to 192.168.151.120`);
      line(`sent ${tftpRoot}/kernel_2712.img to 192.168.151.120`);
      line('error 8 file too big received from 192.168.151.120');
      const seen = await waitFor('the log lines', async () => {
        const d = await device();
        return d && d.filesServed === 2 ? d : undefined;
      });
      expect(seen).toMatchObject({ phase: 'tftp', serial: 'abcd1234', lastFile: 'kernel_2712.img' });
      expect(
        (
          await hook(
            { action: 'tftp', arg2: '1060921', arg3: '192.168.151.120', arg4: `${tftpRoot}/kernel_2712.img` },
            secret(),
          )
        ).status,
      ).toBe(204);
      expect((await device())?.bytesServed).toBe(1060921);

      const kinds = ((await get(`/api/netboot/events?mac=${mac}`)).body as NetbootEventDto[])
        .map((e) => e.kind)
        .reverse();
      expect(kinds).toEqual(['lease-add', 'tftp-not-found', 'tftp-sent', 'tftp-probe', 'tftp-sent', 'tftp-error']);
      expect((await get('/api/netboot/events?limit=0')).status).toBe(400);
      expect((await get('/api/netboot/events?mac=nope')).status).toBe(400);
    });

    it('links the unit to its deployment once its installer asks for its config', async () => {
      expect(
        (
          await api(t.management, '/api/venues', {
            method: 'POST',
            token: operator,
            body: { code: 'CORO', name: 'Corona' },
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await api(t.management, '/api/venues/CORO/karts', {
            method: 'POST',
            token: operator,
            body: { from: 1, to: 3 },
          })
        ).status,
      ).toBe(200);
      const config = await api(t.deployment, '/api/config', {
        method: 'POST',
        body: { serial: '10000000abcd1234', mac, product: 'KXP2', venue: 'CORO' },
      });
      expect(config.status).toBe(200);
      const linked = await waitFor('the link', async () => {
        const d = await device();
        return d?.phase === 'installer' ? d : undefined;
      });
      expect(linked).toMatchObject({
        deploymentId: config.body.deploymentId,
        hostname: 'KXP2-CORO-001',
        serial: '10000000abcd1234',
      });
    });
  });

  it('runs the pre-flight checklist with a fix for every failure', async () => {
    const report = (await get('/api/netboot/preflight')).body as PreflightReportDto;
    const byId = new Map(report.checks.map((check) => [check.id, check]));
    expect(report.ok).toBe(false); // no dnsmasq runs here, lo has no 192.168.151.1
    expect(byId.get('database')).toMatchObject({ ok: true });
    expect(byId.get('active-images')).toMatchObject({ ok: true, detail: 'KXP2: 1.1.0, RXP2: none' });
    expect(byId.get('tftp-root')).toMatchObject({ ok: true });
    expect(byId.get('dnsmasq-config')).toMatchObject({ ok: true });
    expect(byId.get('dhcp-range')).toMatchObject({ ok: true });
    expect(byId.get('dnsmasq-process')).toMatchObject({ ok: false });
    expect(byId.get('interface')).toMatchObject({ ok: false, detail: expect.stringContaining('127.0.0.1') });
    expect(byId.get('netboot-build')).toMatchObject({ ok: false, detail: expect.stringContaining('runtime.tar.zst') });
    expect(byId.get('hook')).toMatchObject({ ok: true });
    expect(byId.get('other-dhcp-servers')).toMatchObject({
      ok: false,
      detail: 'not probed: lo does not hold 192.168.151.1',
    });
    for (const check of report.checks) {
      if (!check.ok) expect(check.fix).toEqual(expect.any(String));
    }
  });
});

/**
 * The netboot path end to end with the real dnsmasq: two network namespaces joined by a veth
 * pair; in one, the built server and dnsmasq with the configuration and TFTP root the server
 * generated; in the other, a client that speaks exactly as a Pi 5 bootloader does (and one that
 * speaks as an x86 PXE ROM). Needs root, ip, dnsmasq, curl and mtools (infra/install-system-deps.sh).
 */
import { buildSync } from 'esbuild';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { NetbootDeviceDto, NetbootEventDto, PreflightReportDto } from '@rpi-deploy/contracts';
import { buildPiOsImage, type PiOsImage, waitFor } from '@rpi-deploy/test-kit';
import { pi5Guid } from './support/dhcp-packet';
import { NetnsPair } from './support/netns';
import type { BootClientRequest, BootClientResult } from './support/pi5-boot-client';
import { forwarderScript, unixRequest } from './support/unix-http';

const ROOT = resolve(__dirname, '../../..');
const BUILT_SERVER = join(ROOT, 'dist/server/main.js');
const SERVER_IP = '192.168.151.1';
const PI = { mac: 'd8:3a:dd:12:34:56', serial: '10000000abcd1234' };
const PC = { mac: '52:54:00:aa:bb:cc' };
const ADMIN_PASSWORD = 'system-test-admin-pw';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function requireTools(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('must run as root (network namespaces)');
  for (const tool of ['ip', 'dnsmasq', 'curl', 'mtype']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      problems.push(`${tool} is missing`);
    }
  }
  if (!existsSync(BUILT_SERVER)) problems.push(`${BUILT_SERVER} is missing: run npx nx build server`);
  if (problems.length > 0) {
    throw new Error(
      `The netboot system test cannot run: ${problems.join('; ')}. Run as root after bash infra/install-system-deps.sh`,
    );
  }
}

describe('netboot with the real dnsmasq between network namespaces', () => {
  const net = new NetnsPair();
  const processes: ChildProcess[] = [];
  let work: string;
  let socket: string;
  let token: string;
  let image: PiOsImage;
  let clientScript: string;
  let dnsmasqLog: string;
  const initramfs = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251));

  const call = (path: string, options: Parameters<typeof unixRequest>[2] = {}) =>
    unixRequest(socket, path, { token, ...options });

  function inNamespace(ns: string, command: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...command], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
    child.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
    Object.defineProperty(child, 'recentOutput', { get: () => output });
    processes.push(child);
    return child;
  }

  function runClient(request: Omit<BootClientRequest, 'interface' | 'prefixLength' | 'timeoutMs'>): BootClientResult {
    const full: BootClientRequest = { interface: net.clientIf, prefixLength: 24, timeoutMs: 10_000, ...request };
    const output = execFileSync(
      'ip',
      ['netns', 'exec', net.client, process.execPath, clientScript, JSON.stringify(full)],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    return JSON.parse(output) as BootClientResult;
  }

  beforeAll(async () => {
    requireTools();
    work = mkdtempSync(join(tmpdir(), 'rpi-deploy-netboot-system-'));
    // dnsmasq drops to an unprivileged user: the TFTP root must be reachable by others.
    chmodSync(work, 0o755);
    for (const dir of ['data', 'build', 'web', 'etc', 'log']) mkdirSync(join(work, dir));
    writeFileSync(join(work, 'web', 'index.html'), '<!doctype html><app-root></app-root>');
    writeFileSync(join(work, 'build', 'initramfs.img'), initramfs);
    dnsmasqLog = join(work, 'log', 'dnsmasq.log');
    socket = join(work, 'mgmt.sock');
    clientScript = join(work, 'pi5-boot-client.js');
    buildSync({
      entryPoints: [join(__dirname, 'support/pi5-boot-client.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      outfile: clientScript,
      logLevel: 'warning',
    });
    image = buildPiOsImage(work, { sizeMiB: 72, randomDataMiB: 1 });

    net.create(`${SERVER_IP}/24`, PC.mac);
    const server = inNamespace(net.server, [process.execPath, BUILT_SERVER], {
      DATA_DIR: join(work, 'data'),
      MGMT_HOST: '127.0.0.1',
      MGMT_PORT: '5000',
      DEPLOY_HOST: '0.0.0.0',
      DEPLOY_PORT: '5001',
      DEPLOY_PUBLIC_URL: `http://${SERVER_IP}:5001`,
      ADMIN_PASSWORD,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      WEB_ROOT: join(work, 'web'),
      NETBOOT_INTERFACE: net.serverIf,
      NETBOOT_SERVER_IP: SERVER_IP,
      NETBOOT_DHCP_RANGE: '192.168.151.128,192.168.151.191',
      NETBOOT_BUILD_DIR: join(work, 'build'),
      TFTP_ROOT: join(work, 'tftp', 'root'),
      DNSMASQ_CONFIG: join(work, 'etc', 'dnsmasq.conf'),
      DNSMASQ_LOG: dnsmasqLog,
      NETBOOT_HOOK: join(ROOT, 'infra/dnsmasq/rpi-deploy-dhcp-hook.sh'),
      NETBOOT_TEMPLATES: join(ROOT, 'tftpboot'),
    });
    inNamespace(net.server, [process.execPath, '-e', forwarderScript(socket, 5000)]);
    for (let attempt = 0; ; attempt++) {
      const health = await unixRequest(socket, '/api/health').catch(() => undefined);
      if (health?.status === 200) break;
      if (attempt > 300 || server.exitCode !== null) {
        throw new Error(`the server did not start: ${(server as unknown as { recentOutput: string }).recentOutput}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const login = await unixRequest(socket, '/api/auth/login', {
      method: 'POST',
      json: { username: 'admin', password: ADMIN_PASSWORD },
    });
    token = login.body.accessToken;

    const uploaded = await call('/api/images', {
      method: 'POST',
      filePath: image.path,
      fields: { product: 'KXP2', version: '2.0.0' },
    });
    expect(uploaded.status).toBe(201);
    expect((await call(`/api/images/${uploaded.body.id}/activate`, { method: 'POST' })).status).toBe(200);
    expect((await call('/api/netboot/sync-tftp', { method: 'POST' })).status).toBe(200);
    const applied = await call('/api/netboot/dnsmasq-config/apply', { method: 'POST' });
    expect(applied.body).toMatchObject({ check: { ok: true } });

    inNamespace(
      net.server,
      [
        'dnsmasq',
        '--keep-in-foreground',
        `--conf-file=${applied.body.path}`,
        `--pid-file=${join(work, 'dnsmasq.pid')}`,
      ],
      {
        RPI_DEPLOY_HOOK_URL: 'http://127.0.0.1:5000/api/netboot/hook',
        RPI_DEPLOY_HOOK_SECRET_FILE: join(work, 'data', 'netboot', 'hook.secret'),
      },
    );
    for (
      let attempt = 0;
      !(existsSync(dnsmasqLog) && readFileSync(dnsmasqLog, 'utf8').includes('TFTP root'));
      attempt++
    ) {
      if (attempt > 100)
        throw new Error(`dnsmasq did not start: ${existsSync(dnsmasqLog) ? readFileSync(dnsmasqLog, 'utf8') : ''}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 120_000);

  afterAll(async () => {
    for (const child of processes.reverse()) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    net.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('does not offer "Raspberry Pi Boot" to an x86 PC that PXE-boots with the same vendor class', () => {
    net.becomeClient(PC.mac, '192.168.151.128/26');
    const pcGuid = Buffer.concat([Buffer.from([0]), createHash('md5').update('a PC').digest()]);
    const result = runClient({ mac: PC.mac, guidHex: pcGuid.toString('hex'), dhcpOnly: true, files: [] });
    expect(result.offer).not.toBeNull();
    expect(result.offer!.pxeBootMenu).toBeNull();
    expect(result.offer!.option43Hex ?? '').not.toContain(Buffer.from('Raspberry Pi Boot').toString('hex'));
  }, 60_000);

  it('gives a Pi 5 its lease with "Raspberry Pi Boot" and serves its boot files in bootloader order', async () => {
    net.becomeClient(PI.mac, '192.168.151.128/26');
    const serial8 = PI.serial.slice(-8);
    const result = runClient({
      mac: PI.mac,
      guidHex: pi5Guid(PI.mac, PI.serial).toString('hex'),
      files: [
        `${serial8}/config.txt`,
        'config.txt',
        'pieeprom.sig',
        'bcm2712-rpi-5-b.dtb',
        'overlays/overlay_map.dtb',
        'overlays/bcm2712d0.dtbo',
        'overlays/vc4-kms-v3d.dtbo',
        'cmdline.txt',
        'kernel_2712.img?',
        'kernel_2712.img',
        'initramfs.img',
      ],
    });
    for (const reply of [result.offer, result.ack]) {
      expect(reply).toMatchObject({
        siaddr: SERVER_IP,
        serverId: SERVER_IP,
        vendorClass: 'PXEClient',
        pxeBootMenu: 'Raspberry Pi Boot',
      });
      expect(reply!.yiaddr).toMatch(/^192\.168\.151\.(1(2[89]|[3-8]\d|9[01]))$/);
    }
    const files = new Map(result.files.map((file) => [file.file, file]));
    // No folder for this serial: the bootloader falls back to the root.
    expect(files.get(`${serial8}/config.txt`)).toMatchObject({
      ok: false,
      error: expect.stringContaining('not found'),
    });
    expect(files.get('pieeprom.sig')).toMatchObject({ ok: false });
    const root = join(work, 'tftp', 'root');
    const expected: Record<string, Buffer> = {
      'config.txt': readFileSync(join(root, 'config.txt')),
      'cmdline.txt': readFileSync(join(root, 'cmdline.txt')),
      'initramfs.img': initramfs,
    };
    for (const file of [
      'bcm2712-rpi-5-b.dtb',
      'overlays/overlay_map.dtb',
      'overlays/bcm2712d0.dtbo',
      'overlays/vc4-kms-v3d.dtbo',
      'kernel_2712.img',
    ]) {
      expected[file] = execFileSync(
        'mtype',
        ['-i', `${image.path}@@${image.partitions.boot.startBytes}`, `::/${file}`],
        {
          env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
          maxBuffer: 64 << 20,
        },
      );
    }
    for (const [file, bytes] of Object.entries(expected)) {
      expect(files.get(file)).toMatchObject({
        ok: true,
        size: bytes.length,
        sha256: sha256(bytes),
        tsize: bytes.length,
        blksize: 1468,
      });
    }
    expect(expected['cmdline.txt'].toString()).toContain(`deploy.server=http://${SERVER_IP}:5001`);
    expect(files.get('kernel_2712.img?')).toMatchObject({ ok: true, tsize: expected['kernel_2712.img'].length });

    // What the server made of it: the lease from the hook, the transfers from the log.
    const sentBytes = Object.values(expected).reduce((sum, bytes) => sum + bytes.length, 0);
    const device = await waitFor(
      "the unit's lease and transfers",
      async () => {
        const devices = (await call('/api/netboot/devices')).body as NetbootDeviceDto[];
        const pi = devices.find((d) => d.mac === PI.mac);
        return pi && pi.filesServed === 8 && pi.bytesServed === sentBytes ? pi : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, lastSeen: async () => (await call('/api/netboot/devices')).body },
    );
    expect(device).toMatchObject({
      ip: result.ack!.yiaddr,
      serial: serial8,
      phase: 'tftp',
      filesServed: 8,
      bytesServed: sentBytes,
    });
    const events = ((await call(`/api/netboot/events?mac=${PI.mac}`)).body as NetbootEventDto[]).reverse();
    const kinds = events.map((event) => event.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'dhcp-discover',
        'dhcp-offer',
        'dhcp-ack',
        'lease-add',
        'tftp-not-found',
        'tftp-sent',
        'tftp-probe',
      ]),
    );
    expect(kinds).not.toContain('tftp-error'); // the kernel probe's early terminate is not an error
    expect(events.filter((e) => e.kind === 'tftp-sent').map((e) => e.file)).toEqual(
      [
        'config.txt',
        'bcm2712-rpi-5-b.dtb',
        'overlays/overlay_map.dtb',
        'overlays/bcm2712d0.dtbo',
        'overlays/vc4-kms-v3d.dtbo',
        'cmdline.txt',
        'kernel_2712.img',
        'initramfs.img',
      ].slice(0, 8),
    );
    const pcSeen = ((await call('/api/netboot/devices')).body as NetbootDeviceDto[]).find((d) => d.mac === PC.mac);
    expect(pcSeen).toMatchObject({ phase: 'dhcp', filesServed: 0 });
  }, 90_000);

  it('serves a unit its own folder when it boots another venue', async () => {
    const serial8 = PI.serial.slice(-8);
    const saved = await call(`/api/netboot/units/${PI.serial}`, { method: 'PUT', json: { venue: 'CORO' } });
    expect(saved.status).toBe(200);
    net.becomeClient(PI.mac, '192.168.151.128/26');
    const result = runClient({
      mac: PI.mac,
      guidHex: pi5Guid(PI.mac, PI.serial).toString('hex'),
      files: [`${serial8}/config.txt`, `${serial8}/cmdline.txt`, `${serial8}/kernel_2712.img`],
    });
    expect(result.files.map((file) => file.ok)).toEqual([true, true, true]);
    const folder = join(work, 'tftp', 'root', serial8);
    expect(result.files[1].sha256).toBe(sha256(readFileSync(join(folder, 'cmdline.txt'))));
    expect(readFileSync(join(folder, 'cmdline.txt'), 'utf8')).toContain('deploy.venue=CORO');
    expect(result.files[2].sha256).toBe(sha256(readFileSync(join(work, 'tftp', 'root', 'kernel_2712.img'))));
  }, 60_000);

  it('pre-flight finds a second DHCP server on the deployment VLAN and names it', async () => {
    const preflightCheck = async () => {
      const report = (await call('/api/netboot/preflight')).body as PreflightReportDto;
      return report.checks.find((check) => check.id === 'other-dhcp-servers');
    };
    expect(await preflightCheck()).toMatchObject({
      ok: true,
      detail: `a DHCP probe found no other server; ours (${SERVER_IP}) answered`,
    });

    // A forgotten router on the VLAN: a plain dnsmasq on the unit's side of the link.
    const ROGUE_IP = '192.168.151.254';
    net.becomeClient('02:00:00:00:fe:fe');
    execFileSync('ip', ['-n', net.client, 'addr', 'add', `${ROGUE_IP}/24`, 'dev', net.clientIf]);
    const rogue = inNamespace(net.client, [
      'dnsmasq',
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--port=0',
      `--interface=${net.clientIf}`,
      '--bind-interfaces',
      '--dhcp-range=192.168.151.200,192.168.151.210,1h',
      `--dhcp-leasefile=${join(work, 'rogue.leases')}`,
      `--pid-file=${join(work, 'rogue.pid')}`,
    ]);
    await waitFor('the second dnsmasq to start', async () => (existsSync(join(work, 'rogue.pid')) ? true : undefined), {
      lastSeen: async () => (rogue as unknown as { recentOutput: string }).recentOutput,
    });
    const found = await preflightCheck();
    expect(found).toMatchObject({ ok: false, fix: expect.stringContaining(`Switch off DHCP on ${ROGUE_IP}`) });
    expect(found!.detail).toMatch(
      /^another DHCP server answers: 192\.168\.151\.254 \(offered 192\.168\.151\.2(0\d|10)\); ours \(192\.168\.151\.1\) answered$/,
    );

    rogue.kill('SIGTERM');
    await new Promise((r) => rogue.once('exit', r));
    expect(await preflightCheck()).toMatchObject({ ok: true });
  }, 60_000);
});

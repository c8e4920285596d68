/**
 * The first boot really runs. A minimal Raspberry-Pi-OS-like arm64 card (Debian's systemd,
 * openssh-server, e2fsprogs, fdisk, curl: infra/test/first-boot/build-root.sh, cached) is uploaded
 * to the REAL server as the active image; the REAL installer bundle writes and personalises it onto
 * a larger card file for each of two units. Each card then boots under QEMU (arm64 virt, software
 * emulation) with the kernel and initrd from its own root and its own cmdline.txt, as a Pi's
 * firmware hands it over: systemd runs firstrun.sh and reboots; the second boot must come up as
 * the product (reached over SSH with the host key first boot made) and is powered off. Checked
 * from outside on the card files: the script ran once and removed itself and its cmdline.txt
 * tokens, new SSH host keys and machine-id that differ between the units, the root partition and
 * its file system grown to the card, and the journal of both boots.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import type { DeploymentDetailDto } from '@rpi-deploy/contracts';
import {
  checkExt4,
  checkFat,
  freePort,
  listExt4,
  listFat,
  readExt4File,
  readFatFile,
  runTool,
  statExt4,
  uploadImage,
  waitFor,
} from '@rpi-deploy/test-kit';
import { BOOT_CONFIRM_PATHS } from '../../../installer/src/personalise/boot-confirm-unit';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from '../../../server/test/support/test-server';
import { BUNDLE, expectExit, runInstaller } from '../../../installer/test/support/run-installer';
import { makeCard } from '../../../installer/test/support/install-fixture';
import { bootVirt, WORKSPACE, type VirtBootResult } from '../../initramfs/qemu-virt';

/** A cold build runs debootstrap's second stage under emulation (5-10 min); a warm one is instant. */
const BUILD_TIMEOUT_MS = 30 * 60_000;
/** Each boot, first or second, under software emulation on 2 busy cores. */
const BOOT_TIMEOUT_MS = 8 * 60_000;
const CARD_BYTES = 1 << 30;
const SECTOR = 512;
const UNITS = [
  { serial: '10000000f1b00001', mac: '52:54:00:f1:b0:01' },
  { serial: '10000000f1b00002', mac: '52:54:00:f1:b0:02' },
];
/** Host key types ssh-keygen -A makes, and how their public keys start. */
const HOST_KEY_TYPES: Record<string, string> = {
  rsa: 'ssh-rsa ',
  ecdsa: 'ecdsa-sha2-nistp256 ',
  ed25519: 'ssh-ed25519 ',
};
const TOOLS = ['qemu-system-aarch64', 'debugfs', 'dumpe2fs', 'e2fsck', 'mtype', 'mdir', 'sfdisk', 'ssh', 'journalctl'];

const runAsync = promisify(execFile);

jest.setTimeout(BUILD_TIMEOUT_MS + 4 * BOOT_TIMEOUT_MS);

interface Partition {
  startBytes: number;
  sizeBytes: number;
}

/** One unit's card, as the checks need it after both boots. */
interface BootedUnit {
  hostname: string;
  card: string;
  firstBoot: VirtBootResult;
  secondBoot: VirtBootResult;
  /** What the running product answered over SSH in the second boot. */
  product: string;
}

describe('first boot of an installed card under QEMU (arm64 virt, real systemd)', () => {
  let work: string;
  let server: TestServer;
  let token: string;
  let master: string;
  let testKey: string;
  let masterPartitions: { boot: Partition; root: Partition };
  const units: BootedUnit[] = [];

  beforeAll(
    async () => {
      // Never a skip: a missing tool fails the suite, saying what to do.
      const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
      if (missing.length > 0)
        throw new Error(`missing ${missing.join(', ')}: run 'bash infra/install-system-deps.sh' as root`);
      if (process.getuid?.() !== 0) throw new Error('the first-boot test must run as root (debootstrap keeps owners)');
      if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: npx nx build installer`);

      const started = Date.now();
      master = buildMasterImage();
      testKey = join(dirname(master), 'test-key');
      process.stdout.write(`first-boot image ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${master}\n`);
      masterPartitions = partitionsOf(master);

      work = mkdtempSync(join(tmpdir(), 'first-boot-qemu-'));
      // One address for the installer, which runs on the host here (the netboot test covers it under
      // QEMU), and for the booted unit behind QEMU's user-mode NAT: the host's own network address.
      const host = hostAddress();
      const deployPort = await freePort();
      const deployUrl = `http://${host}:${deployPort}`;
      server = await bootTestServer({
        DEPLOY_HOST: host,
        DEPLOY_PORT: String(deployPort),
        DEPLOY_PUBLIC_URL: deployUrl,
        // Not a test of compression: level 19 would make the upload of this 319 MiB image take minutes.
        CHUNK_ZSTD_LEVEL: '3',
      });
      token = (await login(server.management, 'admin', ADMIN_PASSWORD)).accessToken;
      const venue = await api(server.management, '/api/venues', {
        method: 'POST',
        token,
        body: { code: 'CORO', name: 'Corona' },
      });
      if (venue.status !== 201)
        throw new Error(`creating the venue failed: ${venue.status} ${JSON.stringify(venue.body)}`);
      await uploadImage(server.management, token, {
        filePath: master,
        product: 'RXP2',
        version: '1.0.0',
        activate: true,
      });

      for (const [index, unit] of UNITS.entries()) {
        const dir = join(work, `unit-${index + 1}`);
        mkdirSync(dir);
        const card = makeCard(dir, 'card.img', CARD_BYTES, 'blank');
        const install = await runInstaller(
          // prettier-ignore
          ['--server', deployUrl, '--device', card, '--serial', unit.serial, '--mac', unit.mac,
          '--product', 'RXP2', '--venue', 'CORO', '--no-reboot', '--retry-delay', '0.05'],
          5 * 60_000,
        );
        expectExit(install, 0);
        const hostname = readExt4File(card, masterPartitions.root.startBytes, '/etc/hostname').toString().trim();
        // Wired as the installer leaves it: the script on the boot partition, run by cmdline.txt.
        expect(listFat(card, masterPartitions.boot.startBytes)).toContain('firstrun.sh');
        expect(cmdlineOf(card)).toContain('systemd.run=/boot/firmware/firstrun.sh');

        const firstBoot = await bootCard(card, unit, join(dir, 'first-boot'));
        const secondBoot = await bootCard(card, unit, join(dir, 'second-boot'), async (sshPort, ended) => {
          // The product as its users meet it: SSH with the host key that first boot generated.
          const login = { port: sshPort, key: testKey, knownHost: hostKeyLine(card, sshPort), ended };
          const answer = await ssh(login, [
            'systemctl is-system-running --wait; systemctl --failed --no-legend --plain; ' +
              'journalctl -b 0 -u kernel-command-line.service --no-pager -q | wc -l',
          ]);
          // The boot confirmation the installer left on the card reports once the network is up.
          await waitFor(
            'the booted report of ' + hostname,
            async () => {
              const detail = await deploymentOf(unit.serial);
              return detail.boot?.state === 'booted' ? detail : undefined;
            },
            {
              timeoutMs: BOOT_TIMEOUT_MS,
              intervalMs: 2000,
              lastSeen: async () => (await deploymentOf(unit.serial)).boot,
            },
          );
          await ssh(login, ['systemctl poweroff --no-block']);
          return answer;
        });
        units.push({
          hostname,
          card,
          firstBoot: firstBoot.run,
          secondBoot: secondBoot.run,
          product: secondBoot.answer,
        });
      }
    },
    BUILD_TIMEOUT_MS + 4 * BOOT_TIMEOUT_MS,
  );

  async function deploymentOf(serial: string): Promise<DeploymentDetailDto> {
    const page = (await api(server.management, `/api/deployments?status=success&pageSize=100`, { token })).body;
    const item = (page.items as DeploymentDetailDto[]).find((deployment) => deployment.serial === serial);
    if (!item) throw new Error(`no successful deployment of ${serial}: ${JSON.stringify(page)}`);
    return (await api(server.management, `/api/deployments/${item.id}`, { token })).body as DeploymentDetailDto;
  }

  afterAll(async () => {
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('runs firstrun.sh once, which reboots and removes itself and its cmdline.txt tokens', () => {
    const masterCmdline = readFatFile(master, masterPartitions.boot.startBytes, 'cmdline.txt').toString();
    for (const unit of units) {
      // QEMU exits (-no-reboot) when the guest reboots: the success action of systemd.run=.
      expect(unit.firstBoot).toMatchObject({ exitCode: 0, timedOut: false });
      // firstrun.sh says "rpi-deploy firstrun: ..." only when a step failed.
      expect(unit.firstBoot.console).not.toContain('rpi-deploy firstrun:');
      expect(listFat(unit.card, masterPartitions.boot.startBytes)).not.toContain('firstrun.sh');
      expect(cmdlineOf(unit.card)).toBe(masterCmdline);
      // Edited while mounted, then unmounted by the reboot: the FAT file system is intact.
      const { boot } = partitionsOf(unit.card);
      expect(checkFat(unit.card, boot.startBytes, boot.sizeBytes)).toMatchObject({ clean: true });
    }
  });

  it('boots again into the product: multi-user, SSH with the new host key, first boot not run again', () => {
    for (const unit of units) {
      expect(unit.secondBoot).toMatchObject({ exitCode: 0, timedOut: false });
      const [state, ...rest] = unit.product.trim().split('\n');
      // No failed unit, and no trace of kernel-command-line.service in this boot.
      expect({ state, rest }).toEqual({ state: 'running', rest: ['0'] });

      // The journal of both boots, read from the card: first boot ran the script, the second did not.
      const journal = journalOf(unit.card, join(work, `journal-${unit.hostname}`));
      const boots = journal(['--list-boots'])
        .split('\n')
        .filter((line) => /^\s*-?\d+\s/.test(line));
      expect(boots).toHaveLength(2);
      // The script's own output is logged as "firstrun.sh[PID]: ...".
      const ranScript = (boot: string) =>
        journal(['-b', boot, '-u', 'kernel-command-line.service']).includes('firstrun.sh[');
      expect([ranScript('-1'), ranScript('0')]).toEqual([true, false]);
      expect(journal(['-b', '0', '-o', 'cat'])).toContain('Reached target multi-user.target');
      expect(journal(['-b', '0', '-o', 'cat'])).toContain(`Hostname set to <${unit.hostname}>`);
    }
  });

  it('gives each unit SSH host keys and a machine-id of its own', () => {
    const root = masterPartitions.root.startBytes;
    const masterKeys = listExt4(master, root, '/etc/ssh').filter((entry) => entry.name.startsWith('ssh_host_'));
    expect(masterKeys.length).toBeGreaterThan(0);
    const keysOf = (image: string) =>
      Object.keys(HOST_KEY_TYPES).map((type) =>
        readExt4File(image, root, `/etc/ssh/ssh_host_${type}_key.pub`).toString(),
      );
    const [first, second] = units.map((unit) => ({
      keys: keysOf(unit.card),
      machineId: readExt4File(unit.card, root, '/etc/machine-id').toString(),
    }));
    for (const unit of [first!, second!]) {
      expect(unit.machineId).toMatch(/^[0-9a-f]{32}\n$/);
      expect(unit.keys.map((key) => key.slice(0, key.indexOf(' ') + 1))).toEqual(Object.values(HOST_KEY_TYPES));
    }
    const masterMachineId = readExt4File(master, root, '/etc/machine-id').toString();
    expect(new Set([first!.machineId, second!.machineId, masterMachineId]).size).toBe(3);
    const masterPublicKeys = masterKeys.filter((e) => e.name.endsWith('.pub'));
    for (const [index, key] of first!.keys.entries()) {
      expect(second!.keys[index]).not.toBe(key);
      for (const entry of masterPublicKeys)
        expect(readExt4File(master, root, `/etc/ssh/${entry.name}`).toString()).not.toBe(key);
    }
  });

  it('grows the root partition and its file system to the end of the card', () => {
    for (const unit of units) {
      const { root } = partitionsOf(unit.card);
      expect(root.startBytes).toBe(masterPartitions.root.startBytes);
      expect(root.startBytes + root.sizeBytes).toBe(CARD_BYTES);
      const fsBytes = ext4Bytes(unit.card, root.startBytes);
      expect(fsBytes).toBeGreaterThan(masterPartitions.root.sizeBytes * 2);
      // resize2fs fills the partition up to its last whole block.
      expect(root.sizeBytes - fsBytes).toBeLessThan(4096);
      expect(checkExt4(unit.card, root.startBytes)).toMatchObject({ clean: true });
    }
  });

  it('leaves one successful deployment per unit on the server', async () => {
    const page = (await api(server.management, '/api/deployments?status=success', { token })).body;
    expect(page.total).toBe(UNITS.length);
    const details = await Promise.all(
      page.items.map(
        async (item: { id: number }) =>
          (await api(server.management, `/api/deployments/${item.id}`, { token })).body as DeploymentDetailDto,
      ),
    );
    expect(details.map((detail) => detail.hostname).sort()).toEqual(units.map((unit) => unit.hostname).sort());
  });

  it('hears "booted" from each unit, with what the unit says about itself, and the report leaves no trace', async () => {
    const root = masterPartitions.root.startBytes;
    for (const [index, unit] of units.entries()) {
      const detail = await deploymentOf(UNITS[index]!.serial);
      expect(detail.bootedAt).not.toBeNull();
      expect(detail.boot).toMatchObject({
        state: 'booted',
        hostname: unit.hostname,
        hostnameMismatch: null,
        machineId: readExt4File(unit.card, root, '/etc/machine-id').toString().trim(),
        kernel: expect.stringMatching(/-arm64$/),
        // QEMU's user-mode network gives the guest 10.0.2.15.
        address: '10.0.2.15',
      });
      for (const path of Object.values(BOOT_CONFIRM_PATHS))
        expect([path, statExt4(unit.card, root, path)]).toEqual([path, undefined]);
    }
  });
});

/** The host's first external IPv4 address (the guest reaches it through QEMU's NAT), else loopback. */
function hostAddress(): string {
  const external = Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal);
  return external?.address ?? '127.0.0.1';
}

/** infra/test/first-boot/build-root.sh: the cached master image, built when its inputs changed. */
function buildMasterImage(): string {
  const script = join(WORKSPACE, 'infra/test/first-boot/build-root.sh');
  const build = spawnSync('bash', [script], { encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
  if (build.status !== 0)
    throw new Error(`${script} failed (${build.status ?? build.signal}):\n${build.stderr}${build.stdout}`);
  return build.stdout.trim().split('\n').pop()!;
}

function partitionsOf(image: string): { boot: Partition; root: Partition } {
  const table = JSON.parse(runTool('sfdisk', ['--json', image]).toString()) as {
    partitiontable: { partitions: { start: number; size: number }[] };
  };
  const [boot, root] = table.partitiontable.partitions.map((p) => ({
    startBytes: p.start * SECTOR,
    sizeBytes: p.size * SECTOR,
  }));
  return { boot: boot!, root: root! };
}

function cmdlineOf(card: string): string {
  return readFatFile(card, partitionsOf(card).boot.startBytes, 'cmdline.txt').toString();
}

function ext4Bytes(image: string, offset: number): number {
  const header = runTool('dumpe2fs', ['-h', `${image}?offset=${offset}`]).toString();
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)$`, 'm').exec(header)?.[1]);
  return field('Block count') * field('Block size');
}

/**
 * Boots the card as a Pi would: the kernel and initrd from its root's /boot (the Pi's firmware
 * reads its own from the boot partition), cmdline.txt as the kernel command line, the serial
 * console added last so that it is /dev/console. `whileUp` runs against the running guest (with
 * an SSH port forwarded) and must end it; what it returns is the answer.
 */
async function bootCard(
  card: string,
  unit: { serial: string; mac: string },
  dir: string,
  whileUp?: (sshPort: number, ended: () => boolean) => Promise<string>,
): Promise<{ run: VirtBootResult; answer: string }> {
  mkdirSync(dir, { recursive: true });
  const { root } = partitionsOf(card);
  const fromRoot = (link: string) => {
    const path = join(dir, link.split('/').pop()!);
    writeFileSync(path, readExt4File(card, root.startBytes, resolveExt4Link(card, root.startBytes, link)));
    return path;
  };
  const sshPort = whileUp ? await freePort() : undefined;
  const running = bootVirt({
    kernel: { vmlinuz: fromRoot('/boot/vmlinuz'), modulesArchive: '', version: '' },
    initrdParts: [fromRoot('/boot/initrd.img')],
    card,
    // Emulation on a busy machine is far slower than a Pi: systemd's 90 s wait for the boot
    // partition's device can run out before udev has even started.
    append: `${cmdlineOf(card).trim()} console=ttyAMA0 systemd.default_device_timeout_sec=600`,
    serial: unit.serial,
    mac: unit.mac,
    workDir: dir,
    timeoutMs: BOOT_TIMEOUT_MS,
    sshPort,
    stopOn: /You are in emergency mode|Kernel panic/,
  });
  let ended = false;
  void running.finally(() => (ended = true));
  const consoleTail = () => readFileSync(join(dir, 'console.log'), 'utf8').slice(-8000);
  let answer = '';
  if (whileUp) {
    try {
      answer = await whileUp(sshPort!, () => ended);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nconsole:\n${consoleTail()}`);
    }
  }
  const run = await running;
  if (run.timedOut || run.exitCode !== 0)
    throw new Error(
      `the guest did not finish (exit ${run.exitCode}, timed out: ${run.timedOut}); console:\n${consoleTail()}`,
    );
  process.stdout.write(`${dir}: boot to power-off in ${(run.elapsedMs / 1000).toFixed(1)} s\n`);
  return { run, answer };
}

/** Follows a symlink in the ext4 root one step (Debian's /boot/vmlinuz -> vmlinuz-<version>). */
function resolveExt4Link(image: string, offset: number, path: string): string {
  const stat = runTool('debugfs', ['-R', `stat ${path}`, `${image}?offset=${offset}`]).toString();
  const target = /Fast link dest: "([^"]+)"/.exec(stat)?.[1];
  if (!target) return path;
  return target.startsWith('/') ? target : `${path.slice(0, path.lastIndexOf('/'))}/${target}`;
}

/** The known_hosts line for the guest's ed25519 host key as it is on the card after first boot. */
function hostKeyLine(card: string, sshPort: number): string {
  const key = readExt4File(card, partitionsOf(card).root.startBytes, '/etc/ssh/ssh_host_ed25519_key.pub');
  const [type, body] = key.toString().trim().split(/\s+/);
  return `[127.0.0.1]:${sshPort} ${type} ${body}`;
}

/**
 * Runs a command as root over SSH, polling until sshd answers (the port is forwarded from the
 * start, so a connection is accepted long before the guest listens). The host key must be the one
 * given: StrictHostKeyChecking refuses any other.
 */
async function ssh(
  login: { port: number; key: string; knownHost: string; ended: () => boolean },
  command: string[],
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'first-boot-ssh-'));
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${login.knownHost}\n`);
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  let last = '';
  try {
    while (Date.now() < deadline && !login.ended()) {
      // Asynchronous: the console pipe of the running QEMU must keep being read meanwhile.
      const run = await runAsync(
        'ssh',
        // prettier-ignore
        ['-p', String(login.port), '-i', login.key,
          '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20', '-o', 'IdentitiesOnly=yes',
          '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'HostKeyAlgorithms=ssh-ed25519',
          'root@127.0.0.1', ...command],
        { encoding: 'utf8', timeout: BOOT_TIMEOUT_MS },
      ).then(
        ({ stdout }) => ({ status: 0, stdout, stderr: '' }),
        (error: { code?: number | string; stdout?: string; stderr?: string }) => ({
          status: typeof error.code === 'number' ? error.code : null,
          stdout: error.stdout ?? '',
          stderr: error.stderr ?? String(error),
        }),
      );
      // 255: ssh itself failed (not up yet); anything else is the command's own exit.
      if (run.status !== 255 && run.status !== null) return run.stdout;
      last = run.stderr;
      if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/.test(last))
        throw new Error(`the guest's SSH host key is not the one on the card: ${last}`);
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(`SSH to the guest never answered${login.ended() ? ' (the guest stopped)' : ''}; last: ${last}`);
}

/** The card's persistent journal, copied out with debugfs and read with the host's journalctl. */
function journalOf(card: string, dir: string): (args: string[]) => string {
  mkdirSync(dir, { recursive: true });
  runTool('debugfs', ['-R', `rdump /var/log/journal ${dir}`, `${card}?offset=${partitionsOf(card).root.startBytes}`]);
  return (args) => execFileSync('journalctl', ['-D', join(dir, 'journal'), '--no-pager', ...args]).toString();
}

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkExt4,
  checkFat,
  listExt4,
  listFat,
  readExt4File,
  readFatFile,
  statExt4,
  buildPiOsImage,
  type PiOsImage,
} from '@rpi-deploy/test-kit';
import { makeWorkDir } from '../../test/support/work-dir';
import {
  applyPersonalisation,
  checkPersonalisation,
  planPersonalisation,
  type ExpectedCard,
  type PersonaliseInput,
} from './personalise';
import { BOOT_CONFIRM_PATHS } from './boot-confirm-unit';

/** Plan and apply, as an install does once the card is verified. */
async function personalise(input: PersonaliseInput): Promise<ExpectedCard> {
  return applyPersonalisation(input, await planPersonalisation(input));
}

const work = makeWorkDir('personalise');
let master: PiOsImage;
let copies = 0;

beforeAll(() => {
  master = buildPiOsImage(work.path, { sizeMiB: 72, randomDataMiB: 2, cloudInit: true });
});
afterAll(() => work.remove());

/** A fresh copy of the master, addressed the way the installer addresses a card. */
function card(): PersonaliseInput & { logged: string[] } {
  const device = join(work.path, `card-${(copies += 1)}.img`);
  copyFileSync(master.path, device);
  const logged: string[] = [];
  return {
    device,
    partitions: {
      boot: { type: 0x0c, ...master.partitions.boot },
      root: { type: 0x83, ...master.partitions.root },
    },
    hostname: 'KXP2-CORO-007',
    instanceId: 'rpi-deploy-42',
    log: (line) => logged.push(line),
    logged,
  };
}

describe('personalise (on an image file, without mounting)', () => {
  it('turns the master into this unit, and the edits read back', async () => {
    const input = card();
    const expected = await personalise(input);
    await checkPersonalisation(input, expected);

    const root = master.partitions.root.startBytes;
    const boot = master.partitions.boot.startBytes;
    expect(readExt4File(input.device, root, '/etc/hostname').toString()).toBe('KXP2-CORO-007\n');
    expect(readExt4File(input.device, root, '/etc/hosts').toString()).toContain('\n127.0.1.1\tKXP2-CORO-007\n');
    expect(readExt4File(input.device, root, '/etc/hosts').toString()).not.toContain('raspberrypi');
    // Owner and permissions of the master's files survive the rewrite.
    expect(statExt4(input.device, root, '/etc/machine-id')).toMatchObject({ size: 0, mode: 0o100444, uid: 0, gid: 0 });
    expect(statExt4(input.device, root, '/etc/hostname')).toMatchObject({ mode: 0o100644, uid: 0, gid: 0 });
    expect(listExt4(input.device, root, '/etc/ssh').map((entry) => entry.name)).toEqual(['sshd_config']);
    expect(statExt4(input.device, root, '/var/lib/dbus/machine-id')?.mode).toBe(0o120777); // the symlink stays
    expect(checkExt4(input.device, root)).toMatchObject({ clean: true });

    expect(listFat(input.device, boot)).toContain('firstrun.sh');
    expect(readFatFile(input.device, boot, 'cmdline.txt').toString()).toBe(
      `${master.cmdline.trim()} systemd.run=/boot/firmware/firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target\n`,
    );
    expect(readFatFile(input.device, boot, 'user-data').toString()).toBe(
      '#cloud-config\nusers:\n  - name: pi\n    groups: sudo\nhostname: KXP2-CORO-007\nmanage_etc_hosts: true\n',
    );
    expect(readFatFile(input.device, boot, 'meta-data').toString()).toBe(
      'instance-id: rpi-deploy-42\nlocal-hostname: KXP2-CORO-007\n',
    );
    expect(checkFat(input.device, boot, master.partitions.boot.sizeBytes)).toMatchObject({ clean: true });
  });

  it('leaves the boot confirmation unit: script 0755, root-only settings with the token, the unit enabled', async () => {
    const input = {
      ...card(),
      bootConfirm: { server: 'http://192.168.151.1:5001/', deploymentId: 'd-42', statusToken: 'secret-token' },
    };
    const expected = await personalise(input);
    await checkPersonalisation(input, expected);

    const root = master.partitions.root.startBytes;
    const stat = (path: string) => statExt4(input.device, root, path);
    expect(stat(BOOT_CONFIRM_PATHS.script)).toMatchObject({ mode: 0o100755, uid: 0, gid: 0 });
    expect(stat(BOOT_CONFIRM_PATHS.settings)).toMatchObject({ mode: 0o100600, uid: 0, gid: 0 });
    expect(stat(BOOT_CONFIRM_PATHS.service)).toMatchObject({ mode: 0o100644, uid: 0, gid: 0 });
    expect(stat(BOOT_CONFIRM_PATHS.wants)).toMatchObject({ mode: 0o120777, uid: 0, gid: 0 });
    for (const dir of ['/usr/local/sbin', '/etc/systemd/system/multi-user.target.wants']) {
      expect(stat(dir)).toMatchObject({ mode: 0o040755, uid: 0, gid: 0 });
    }
    const link = execFileSync('debugfs', ['-R', `stat ${BOOT_CONFIRM_PATHS.wants}`, `${input.device}?offset=${root}`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
    expect(link).toContain('Fast link dest: "../rpi-deploy-boot-confirm.service"');
    const settings = readExt4File(input.device, root, BOOT_CONFIRM_PATHS.settings).toString();
    expect(settings).toContain(
      "SERVER='http://192.168.151.1:5001'\nDEPLOYMENT_ID='d-42'\nSTATUS_TOKEN='secret-token'\n",
    );
    const service = readExt4File(input.device, root, BOOT_CONFIRM_PATHS.service).toString();
    expect(service).toContain('After=network-online.target');
    expect(service).toContain(`ExecStart=/bin/sh ${BOOT_CONFIRM_PATHS.script}`);
    expect(service).toContain('WantedBy=multi-user.target');
    expect(readExt4File(input.device, root, BOOT_CONFIRM_PATHS.script).toString()).toMatch(/^#!\/bin\/sh\n/);
    expect(checkExt4(input.device, root)).toMatchObject({ clean: true });

    // Personalising the same card again (a retried install) replaces them and still reads back.
    const again = await personalise(input);
    await checkPersonalisation(input, again);
    expect(stat(BOOT_CONFIRM_PATHS.settings)).toMatchObject({ mode: 0o100600 });
    expect(checkExt4(input.device, root)).toMatchObject({ clean: true });
  });

  it('notices a boot confirmation file whose mode did not reach the card', async () => {
    const input = { ...card(), bootConfirm: { server: 'http://s:5001', deploymentId: 'd', statusToken: 't' } };
    const expected = await personalise(input);
    execFileSync(
      'debugfs',
      [
        '-w',
        '-R',
        `sif ${BOOT_CONFIRM_PATHS.settings} mode 0100644`,
        `${input.device}?offset=${master.partitions.root.startBytes}`,
      ],
      { stdio: 'ignore' },
    );
    await expect(checkPersonalisation(input, expected)).rejects.toThrow(
      `${BOOT_CONFIRM_PATHS.settings} has mode 0644, expected 0600`,
    );
  });

  it('plans from the card without writing to it (it runs while the card is verified)', async () => {
    const input = card();
    const digest = () => createHash('sha256').update(readFileSync(input.device)).digest('hex');
    const before = digest();
    const plan = await planPersonalisation(input);
    expect(digest()).toBe(before);
    expect(Object.keys(plan.expected.bootFiles).sort()).toEqual([
      'cmdline.txt',
      'firstrun.sh',
      'meta-data',
      'user-data',
    ]);
    expect(plan.expected.rootAbsent.length).toBeGreaterThan(0); // the master's SSH host keys
    expect(plan.replaced['/etc/machine-id']).toMatchObject({ name: 'machine-id', mode: 0o100444 });
  });

  it('notices when an edit did not reach the card', async () => {
    const input = card();
    const expected = await personalise(input);
    // As if the card had lost the write: the master's hostname is back.
    execFileSync(
      'debugfs',
      ['-w', '-R', 'rm /etc/hostname', `${input.device}?offset=${master.partitions.root.startBytes}`],
      { stdio: 'ignore' },
    );
    await expect(checkPersonalisation(input, expected)).rejects.toThrow(
      'customisation failed: /etc/hostname reads back undefined, expected "KXP2-CORO-007\\n"',
    );
  });

  it('refuses a master whose root file system still has a journal to replay', async () => {
    const input = card();
    execFileSync(
      'debugfs',
      ['-w', '-R', 'feature needs_recovery', `${input.device}?offset=${master.partitions.root.startBytes}`],
      { stdio: 'ignore' },
    );
    await expect(personalise(input)).rejects.toThrow(/unreplayed journal .+ run e2fsck on the master image/);
  });

  it('refuses a boot partition without cmdline.txt', async () => {
    const input = card();
    execFileSync('mdel', ['-i', `${input.device}@@${master.partitions.boot.startBytes}`, '::cmdline.txt'], {
      env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
    });
    await expect(personalise(input)).rejects.toThrow('customisation failed: the boot partition has no cmdline.txt');
  });
});

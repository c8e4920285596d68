import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InstallError } from '../install-error';
import type { Partition } from '../mbr';
import { bootMountPoint } from './boot-mount-point';
import { metaDataWithInstance, userDataWithHostname } from './cloud-init';
import { cmdlineWithFirstRun, cmdlineWithInstanceId } from './cmdline-txt';
import { Ext4Partition, isRegularFile, REGULAR_FILE } from './ext4-partition';
import { FatPartition } from './fat-partition';
import { FIRSTRUN_FILE, firstRunScript } from './firstrun-script';
import { hostsWithHostname } from './hosts-file';

export interface PersonaliseInput {
  /** The card (block device or image file); partitions are addressed by their byte offsets. */
  device: string;
  partitions: { boot: Partition; root: Partition };
  hostname: string;
  /** cloud-init instance id: new per deployment, so cloud-init treats the unit as a new instance. */
  instanceId: string;
  log: (line: string) => void;
}

/** What the card must hold once personalised: checked by reading it back. */
export interface ExpectedCard {
  rootFiles: Record<string, string>;
  rootAbsent: string[];
  bootFiles: Record<string, string>;
}

const FALLBACK_HOSTS = '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n';

/**
 * Turns the written master into this unit, without mounting anything. In the ext4 root: the
 * hostname, the 127.0.1.1 line of /etc/hosts, an empty machine-id (systemd makes a new one) and no
 * SSH host keys. On the FAT boot partition: firstrun.sh, wired into cmdline.txt, to regenerate what
 * was removed and grow the root partition, and the cloud-init seed when the image has one.
 */
export async function personalise(input: PersonaliseInput): Promise<ExpectedCard> {
  const root = new Ext4Partition(input.device, input.partitions.root.startBytes);
  const boot = new FatPartition(input.device, input.partitions.boot.startBytes);
  // The kernel would replay such a journal at the first mount, over these edits. Replaying it here
  // is not possible: e2fsck and debugfs lose the ?offset= when they reopen the file system to recover.
  if ((await root.features()).includes('needs_recovery')) {
    throw new InstallError(
      "customisation failed: the image's root file system has an unreplayed journal (the master was captured " +
        'without a clean shutdown); run e2fsck on the master image, or capture it again after a clean shutdown',
    );
  }
  const expected: ExpectedCard = { rootFiles: {}, rootAbsent: [], bootFiles: {} };
  await personaliseRoot(root, input, expected);
  await personaliseBoot(boot, root, input, expected);
  return expected;
}

/** Reads back everything personalise() wrote or removed (call after a sync and a page-cache drop). */
export async function checkPersonalisation(input: PersonaliseInput, expected: ExpectedCard): Promise<void> {
  const root = new Ext4Partition(input.device, input.partitions.root.startBytes);
  const boot = new FatPartition(input.device, input.partitions.boot.startBytes);
  // Read-only tool runs, independent of each other: all at once (each is a process start).
  const checks = [
    ...Object.entries(expected.rootFiles).map(async ([path, content]) => {
      const actual = (await root.read(path))?.toString('utf8');
      return actual === content
        ? undefined
        : `${path} reads back ${JSON.stringify(actual)}, expected ${JSON.stringify(content)}`;
    }),
    ...expected.rootAbsent.map(async (path) => ((await root.stat(path)) ? `${path} is still there` : undefined)),
    ...Object.entries(expected.bootFiles).map(async ([name, content]) => {
      const actual = (await boot.read(name))?.toString('utf8');
      return actual === content
        ? undefined
        : `boot partition ${name} reads back ${JSON.stringify(actual)}, expected ${JSON.stringify(content)}`;
    }),
  ];
  const problems = (await Promise.all(checks)).filter((problem): problem is string => problem !== undefined);
  if (problems.length > 0) throw new InstallError(`customisation failed: ${problems.join('; ')}`);
}

async function personaliseRoot(root: Ext4Partition, input: PersonaliseInput, expected: ExpectedCard): Promise<void> {
  const etc = await root.list('/etc');
  if (!etc)
    throw new InstallError(
      'customisation failed: the root partition has no /etc (is it a Raspberry Pi OS root file system?)',
    );
  const hosts = (await root.read('/etc/hosts'))?.toString('utf8') ?? FALLBACK_HOSTS;
  expected.rootFiles = {
    '/etc/hostname': `${input.hostname}\n`,
    '/etc/hosts': hostsWithHostname(hosts, input.hostname),
    // Empty, not missing: systemd then treats the boot as the first one and generates a new id.
    '/etc/machine-id': '',
  };
  const sshHostKeys = ((await root.list('/etc/ssh')) ?? []).filter((entry) => entry.name.startsWith('ssh_host_'));
  expected.rootAbsent = sshHostKeys.map((entry) => `/etc/ssh/${entry.name}`);
  // Usually a symlink to /etc/machine-id; a real copy would hand D-Bus the master's id.
  const dbusMachineId = await root.stat('/var/lib/dbus/machine-id');
  if (dbusMachineId && isRegularFile(dbusMachineId)) expected.rootAbsent.push('/var/lib/dbus/machine-id');

  const staging = await mkdtemp(join(tmpdir(), 'pi-installer-root-'));
  try {
    const commands: string[] = [];
    for (const [index, [path, content]] of Object.entries(expected.rootFiles).entries()) {
      const local = join(staging, String(index));
      await writeFile(local, content);
      const existing = etc.find((entry) => `/etc/${entry.name}` === path);
      // Keep the master's owner and permissions (machine-id is 0444 on Debian); new files get root 0644.
      const mode = existing && isRegularFile(existing) ? existing.mode : REGULAR_FILE | 0o644;
      if (existing) commands.push(`rm ${path}`);
      commands.push(
        `write ${local} ${path}`,
        `sif ${path} mode 0${mode.toString(8)}`,
        `sif ${path} uid ${existing?.uid ?? 0}`,
        `sif ${path} gid ${existing?.gid ?? 0}`,
      );
    }
    for (const path of expected.rootAbsent) commands.push(`rm ${path}`);
    const complaints = await root.edit(commands);
    if (complaints) input.log(`debugfs: ${complaints}`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function personaliseBoot(
  boot: FatPartition,
  root: Ext4Partition,
  input: PersonaliseInput,
  expected: ExpectedCard,
): Promise<void> {
  const names = await boot.list();
  const cmdline = (await boot.read('cmdline.txt'))?.toString('utf8');
  if (cmdline === undefined) throw new InstallError('customisation failed: the boot partition has no cmdline.txt');
  const bootDir = bootMountPoint((await root.read('/etc/fstab'))?.toString('utf8'));
  expected.bootFiles[FIRSTRUN_FILE] = firstRunScript({ bootDir, hostname: input.hostname });
  let wired = cmdlineWithFirstRun(cmdline, `${bootDir}/${FIRSTRUN_FILE}`);

  if (names.includes('user-data') || names.includes('meta-data')) {
    const userData = userDataWithHostname((await boot.read('user-data'))?.toString('utf8'), input.hostname);
    if (userData === undefined)
      input.log('user-data is not #cloud-config: left as it is (/etc/hostname is set directly)');
    else expected.bootFiles['user-data'] = userData;
    const metaData = (await boot.read('meta-data'))?.toString('utf8');
    expected.bootFiles['meta-data'] = metaDataWithInstance(metaData, input.instanceId, input.hostname);
    wired = cmdlineWithInstanceId(wired, input.instanceId);
  }
  expected.bootFiles['cmdline.txt'] = wired;
  for (const [name, content] of Object.entries(expected.bootFiles)) await boot.write(name, content);
}

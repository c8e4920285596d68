import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { InstallError } from '../install-error';
import type { Partition } from '../card/mbr';
import { BOOT_CONFIRM_DIRS, BOOT_CONFIRM_PATHS, bootConfirmFiles, type BootConfirmTarget } from './boot-confirm-unit';
import { bootMountPoint } from './boot-mount-point';
import { metaDataWithInstance, userDataWithHostname } from './cloud-init';
import { cmdlineWithFirstRun, cmdlineWithInstanceId } from './cmdline-txt';
import { Ext4Partition, isRegularFile, REGULAR_FILE, type Ext4Entry } from './ext4-partition';
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
  /** Where the product's first boot confirms this deployment (BOOT_CONFIRM_PATHS); left out, no confirmation unit. */
  bootConfirm?: BootConfirmTarget;
  log: (line: string) => void;
}

/** What the card must hold once personalised: checked by reading it back. */
export interface ExpectedCard {
  rootFiles: Record<string, string>;
  rootAbsent: string[];
  /** Permission bits the root files written new must have, where they are not the master's. */
  rootModes: Record<string, number>;
  /** Symbolic links in the root: path → target. */
  rootLinks: Record<string, string>;
  bootFiles: Record<string, string>;
}

/** The edits for one unit, worked out from what the card holds (see planPersonalisation). */
export interface PersonalisationPlan {
  expected: ExpectedCard;
  /** The master's entries for the root files about to be rewritten (undefined: new file): their owner and mode are kept. */
  replaced: Record<string, Ext4Entry | undefined>;
  /** Folders the root lacks for the new files, parents first. */
  createDirs: string[];
}

const DIRECTORY = 0o040000;

const FALLBACK_HOSTS = '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n';

/**
 * Personalisation turns the written master into this unit, without mounting anything. In the
 * ext4 root: the hostname, the 127.0.1.1 line of /etc/hosts, an empty machine-id (systemd makes a
 * new one) and no SSH host keys. On the FAT boot partition: firstrun.sh, wired into cmdline.txt,
 * to regenerate what was removed and grow the root partition, and the cloud-init seed when the
 * image has one. In three steps: plan, apply, check.
 *
 * The plan reads what the edits depend on (one debugfs and one mcopy run, side by side) and works
 * them out; it writes nothing, so it may run while the card is being verified.
 */
export async function planPersonalisation(input: PersonaliseInput): Promise<PersonalisationPlan> {
  const [root, boot] = [rootOf(input), bootOf(input)];
  const [rootView, bootView] = await Promise.all([
    root.snapshot({
      dirs: ['/etc', '/etc/ssh', '/var/lib/dbus', ...(input.bootConfirm ? BOOT_CONFIRM_DIRS : [])],
      files: ['/etc/hosts', '/etc/fstab'],
    }),
    boot.readFiles(['cmdline.txt', 'user-data', 'meta-data']),
  ]);
  // The kernel would replay such a journal at the first mount, over these edits. Replaying it here
  // is not possible: e2fsck and debugfs lose the ?offset= when they reopen the file system to recover.
  if (rootView.features.includes('needs_recovery')) {
    throw new InstallError(
      "customisation failed: the image's root file system has an unreplayed journal (the master was captured " +
        'without a clean shutdown); run e2fsck on the master image, or capture it again after a clean shutdown',
    );
  }
  const etc = rootView.dirs.get('/etc');
  if (!etc) {
    throw new InstallError(
      'customisation failed: the root partition has no /etc (is it a Raspberry Pi OS root file system?)',
    );
  }
  const text = (content: Buffer | undefined) => content?.toString('utf8');
  const expected: ExpectedCard = {
    rootFiles: {
      '/etc/hostname': `${input.hostname}\n`,
      '/etc/hosts': hostsWithHostname(text(rootView.files.get('/etc/hosts')) ?? FALLBACK_HOSTS, input.hostname),
      // Empty, not missing: systemd then treats the boot as the first one and generates a new id.
      '/etc/machine-id': '',
    },
    rootAbsent: (rootView.dirs.get('/etc/ssh') ?? [])
      .filter((entry) => entry.name.startsWith('ssh_host_'))
      .map((entry) => `/etc/ssh/${entry.name}`),
    rootModes: {},
    rootLinks: {},
    bootFiles: {},
  };
  const createDirs: string[] = [];
  if (input.bootConfirm) {
    for (const [path, file] of Object.entries(bootConfirmFiles(input.bootConfirm, input.hostname))) {
      expected.rootFiles[path] = file.content;
      expected.rootModes[path] = file.mode;
    }
    expected.rootLinks[BOOT_CONFIRM_PATHS.wants] = `../${posix.basename(BOOT_CONFIRM_PATHS.service)}`;
    createDirs.push(...BOOT_CONFIRM_DIRS.filter((dir) => rootView.dirs.get(dir) === undefined));
  }
  // Usually a symlink to /etc/machine-id; a real copy would hand D-Bus the master's id.
  const dbusMachineId = rootView.dirs.get('/var/lib/dbus')?.find((entry) => entry.name === 'machine-id');
  if (dbusMachineId && isRegularFile(dbusMachineId)) expected.rootAbsent.push('/var/lib/dbus/machine-id');
  const entryAt = (path: string) =>
    rootView.dirs.get(posix.dirname(path))?.find((entry) => entry.name === posix.basename(path));
  const replaced = Object.fromEntries(
    [...Object.keys(expected.rootFiles), ...Object.keys(expected.rootLinks)].map((path) => [path, entryAt(path)]),
  );

  const cmdline = text(bootView.get('cmdline.txt'));
  if (cmdline === undefined) throw new InstallError('customisation failed: the boot partition has no cmdline.txt');
  const bootDir = bootMountPoint(text(rootView.files.get('/etc/fstab')));
  expected.bootFiles[FIRSTRUN_FILE] = firstRunScript({ bootDir, hostname: input.hostname });
  let wired = cmdlineWithFirstRun(cmdline, `${bootDir}/${FIRSTRUN_FILE}`);
  if (bootView.get('user-data') !== undefined || bootView.get('meta-data') !== undefined) {
    const userData = userDataWithHostname(text(bootView.get('user-data')), input.hostname);
    if (userData === undefined)
      input.log('user-data is not #cloud-config: left as it is (/etc/hostname is set directly)');
    else expected.bootFiles['user-data'] = userData;
    expected.bootFiles['meta-data'] = metaDataWithInstance(
      text(bootView.get('meta-data')),
      input.instanceId,
      input.hostname,
    );
    wired = cmdlineWithInstanceId(wired, input.instanceId);
  }
  expected.bootFiles['cmdline.txt'] = wired;
  return { expected, replaced, createDirs };
}

/** Writes the planned edits: one debugfs session on the root and one mcopy on the boot partition, side by side. */
export async function applyPersonalisation(input: PersonaliseInput, plan: PersonalisationPlan): Promise<ExpectedCard> {
  await Promise.all([editRoot(rootOf(input), input, plan), bootOf(input).writeFiles(plan.expected.bootFiles)]);
  return plan.expected;
}

/** Reads back everything applyPersonalisation() wrote or removed (call after a sync and a page-cache drop). */
export async function checkPersonalisation(input: PersonaliseInput, expected: ExpectedCard): Promise<void> {
  const [rootView, bootView] = await Promise.all([
    rootOf(input).snapshot({
      dirs: [...expected.rootAbsent, ...Object.keys(expected.rootModes), ...Object.keys(expected.rootLinks)].map(
        (path) => posix.dirname(path),
      ),
      files: Object.keys(expected.rootFiles),
    }),
    bootOf(input).readFiles(Object.keys(expected.bootFiles)),
  ]);
  const problems = [
    ...Object.entries(expected.rootFiles).map(([path, content]) => {
      const actual = rootView.files.get(path)?.toString('utf8');
      return actual === content
        ? undefined
        : `${path} reads back ${JSON.stringify(actual)}, expected ${JSON.stringify(content)}`;
    }),
    ...Object.entries(expected.rootModes).map(([path, mode]) => {
      const found = entryIn(rootView.dirs, path);
      return found && (found.mode & 0o7777) !== mode
        ? `${path} has mode 0${(found.mode & 0o7777).toString(8)}, expected 0${mode.toString(8)}`
        : undefined;
    }),
    ...Object.keys(expected.rootLinks).map((path) =>
      entryIn(rootView.dirs, path)?.mode === SYMLINK ? undefined : `${path} is not a symbolic link`,
    ),
    ...expected.rootAbsent.map((path) =>
      rootView.dirs.get(posix.dirname(path))?.some((entry) => entry.name === posix.basename(path))
        ? `${path} is still there`
        : undefined,
    ),
    ...Object.entries(expected.bootFiles).map(([name, content]) => {
      const actual = bootView.get(name)?.toString('utf8');
      return actual === content
        ? undefined
        : `boot partition ${name} reads back ${JSON.stringify(actual)}, expected ${JSON.stringify(content)}`;
    }),
  ].filter((problem): problem is string => problem !== undefined);
  if (problems.length > 0) throw new InstallError(`customisation failed: ${problems.join('; ')}`);
}

const SYMLINK = 0o120777;

function entryIn(dirs: Map<string, Ext4Entry[] | undefined>, path: string): Ext4Entry | undefined {
  return dirs.get(posix.dirname(path))?.find((entry) => entry.name === posix.basename(path));
}

function rootOf(input: PersonaliseInput): Ext4Partition {
  return new Ext4Partition(input.device, input.partitions.root.startBytes);
}

function bootOf(input: PersonaliseInput): FatPartition {
  return new FatPartition(input.device, input.partitions.boot.startBytes);
}

async function editRoot(root: Ext4Partition, input: PersonaliseInput, plan: PersonalisationPlan): Promise<void> {
  const staging = await mkdtemp(join(tmpdir(), 'pi-installer-root-'));
  try {
    const commands: string[] = [];
    const owned = (path: string, mode: number, owner = { uid: 0, gid: 0 }) => [
      `sif ${path} mode 0${mode.toString(8)}`,
      `sif ${path} uid ${owner.uid}`,
      `sif ${path} gid ${owner.gid}`,
    ];
    for (const dir of plan.createDirs) commands.push(`mkdir ${dir}`, ...owned(dir, DIRECTORY | 0o755));
    for (const [index, [path, content]] of Object.entries(plan.expected.rootFiles).entries()) {
      const local = join(staging, String(index));
      await writeFile(local, content);
      const existing = plan.replaced[path];
      const forced = plan.expected.rootModes[path];
      // Keep the master's owner and permissions (machine-id is 0444 on Debian); new files get root 0644.
      const mode =
        forced !== undefined
          ? REGULAR_FILE | forced
          : existing && isRegularFile(existing)
            ? existing.mode
            : REGULAR_FILE | 0o644;
      if (existing) commands.push(`rm ${path}`);
      commands.push(
        `write ${local} ${path}`,
        `sif ${path} mode 0${mode.toString(8)}`,
        `sif ${path} uid ${existing?.uid ?? 0}`,
        `sif ${path} gid ${existing?.gid ?? 0}`,
      );
    }
    for (const [path, target] of Object.entries(plan.expected.rootLinks)) {
      if (plan.replaced[path]) commands.push(`rm ${path}`);
      commands.push(`symlink ${path} ${target}`, `sif ${path} uid 0`, `sif ${path} gid 0`);
    }
    for (const path of plan.expected.rootAbsent) commands.push(`rm ${path}`);
    const complaints = await root.edit(commands);
    if (complaints) input.log(`debugfs: ${complaints}`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

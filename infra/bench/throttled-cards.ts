import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * SD cards of a realistic rate. For writes (the fleet): a sparse file per card: a sparse file per card (as the installer tests use them),
 * and each installer in a cgroup of its own whose block I/O controller caps writes to the disk
 * under those files (cgroup v1 `blkio.throttle`, or v2 `io.max`). The installer writes cards with
 * O_DIRECT, which the controller throttles exactly (buffered writes it would not). Loop devices
 * would stand closer to a card, but mtools cannot read a loop device's geometry, so personalising
 * one fails where a real card's succeeds. For reads (capture): a card image on a read-only loop
 * device, which is what a capture reads (no personalising), with the reads of it capped.
 */
export interface ThrottledCards {
  paths: string[];
  /** The command line that runs `command` in card `index`'s cgroup (it joins before it execs). */
  wrap(index: number, command: string, args: string[]): [string, string[]];
  /** Empties every card, so the next install finds no chunk on it already. */
  blank(): void;
  /** CPU seconds used so far by the processes of card `index`'s cgroup (v2 `cpu.stat`, v1 `cpuacct.usage`). */
  cpuSeconds(index: number): number;
  close(): void;
}

const PREFIX = 'rpib-fleet-card-';

export function openThrottledCards(
  folder: string,
  count: number,
  sizeBytes: number,
  writeBytesPerSecond: number,
): ThrottledCards {
  mkdirSync(folder, { recursive: true });
  const paths = Array.from({ length: count }, (_, index) => join(folder, `card-${index + 1}.img`));
  const hierarchy = cgroupHierarchy();
  const groups = paths.map((_, index) => join(hierarchy.root, `${PREFIX}${index + 1}`));
  // On cgroup v1 the CPU is counted in a hierarchy of its own (cpuacct), joined beside blkio.
  const cpuGroups =
    hierarchy.version === 1 && existsSync(CPUACCT_V1)
      ? paths.map((_, index) => join(CPUACCT_V1, `${PREFIX}${index + 1}`))
      : [];
  const close = () => {
    for (const group of [...groups, ...cpuGroups]) if (existsSync(group)) rmdirSync(group);
    for (const path of paths) rmSync(path, { force: true });
  };
  const blank = () => {
    for (const path of paths) {
      rmSync(path, { force: true });
      execFileSync('truncate', ['-s', String(sizeBytes), path]);
    }
  };
  try {
    blank();
    const disk = diskUnder(folder);
    for (const group of cpuGroups) if (!existsSync(group)) mkdirSync(group);
    for (const group of groups) throttle(hierarchy, group, disk, 'write', writeBytesPerSecond);
  } catch (error) {
    close();
    throw cannotThrottle(error);
  }
  return {
    paths,
    wrap: (index, command, args) => {
      const procs = [groups[index], ...(cpuGroups[index] ? [cpuGroups[index]] : [])].map((group) =>
        join(group, 'cgroup.procs'),
      );
      const joinGroups = procs.map((_, at) => `echo $$ > "$${at + 1}"`).join(' && ');
      return ['sh', ['-c', `${joinGroups} && shift ${procs.length} && exec "$@"`, 'sh', ...procs, command, ...args]];
    },
    blank,
    cpuSeconds: (index) => (cpuGroups[index] ? cpuacctSeconds(cpuGroups[index]) : cgroupCpuSeconds(groups[index])),
    close,
  };
}

const CPUACCT_V1 = '/sys/fs/cgroup/cpuacct';

function cpuacctSeconds(group: string): number {
  try {
    return Number(readFileSync(join(group, 'cpuacct.usage'), 'utf8')) / 1e9;
  } catch {
    return NaN;
  }
}

function cgroupCpuSeconds(group: string): number {
  try {
    const usage = /^usage_usec (\d+)$/m.exec(readFileSync(join(group, 'cpu.stat'), 'utf8'));
    return usage ? Number(usage[1]) / 1e6 : NaN;
  } catch {
    return NaN;
  }
}

/** A card image as a read-only loop device whose reads are capped for the processes put in its cgroup. */
export interface ThrottledReadCard {
  /** The loop device, e.g. /dev/loop3: what the capture and the baseline read. */
  device: string;
  /** Moves process `pid` (all its threads) into the card's cgroup: its reads of the device are capped. */
  enter(pid: number): void;
  /** Moves it back to the root cgroup. */
  leave(pid: number): void;
  /** Drops the device's cached pages, so the next read of them comes through the cap again. */
  dropCache(): void;
  close(): void;
}

export function openThrottledReadCard(imagePath: string, readBytesPerSecond: number): ThrottledReadCard {
  const hierarchy = cgroupHierarchy();
  const group = join(hierarchy.root, `${PREFIX}read`);
  const device = execFileSync('losetup', ['--find', '--show', '--read-only', imagePath]).toString().trim();
  const close = () => {
    if (existsSync(group)) rmdirSync(group);
    execFileSync('losetup', ['--detach', device]);
  };
  try {
    const { rdev } = statSync(device);
    throttle(hierarchy, group, majorMinor(rdev), 'read', readBytesPerSecond);
  } catch (error) {
    close();
    throw cannotThrottle(error);
  }
  return {
    device,
    enter: (pid) => writeFileSync(join(group, 'cgroup.procs'), String(pid)),
    leave: (pid) => writeFileSync(join(hierarchy.root, 'cgroup.procs'), String(pid)),
    dropCache: () => execFileSync('blockdev', ['--flushbufs', device]),
    close,
  };
}

/** Caps `direction` on `disk` ("major:minor") for the processes in `group`, made when missing. */
function throttle(
  hierarchy: ReturnType<typeof cgroupHierarchy>,
  group: string,
  disk: string,
  direction: 'read' | 'write',
  bytesPerSecond: number,
): void {
  if (!existsSync(group)) mkdirSync(group);
  if (hierarchy.version === 1)
    writeFileSync(join(group, `blkio.throttle.${direction}_bps_device`), `${disk} ${bytesPerSecond}`);
  else writeFileSync(join(group, 'io.max'), `${disk} ${direction === 'read' ? 'r' : 'w'}bps=${bytesPerSecond}`);
}

function cannotThrottle(error: unknown): Error {
  return new Error(
    `cannot set up throttled cards (needs root, the cgroup block I/O controller and loop devices): ${(error as Error).message}`,
  );
}

/** The v1 blkio hierarchy where it is mounted, else the v2 one with `io` enabled for its children. */
function cgroupHierarchy(): { version: 1 | 2; root: string } {
  if (existsSync('/sys/fs/cgroup/blkio/cgroup.procs')) return { version: 1, root: '/sys/fs/cgroup/blkio' };
  const root = '/sys/fs/cgroup';
  if (!readFileSync(join(root, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).includes('io'))
    throw new Error('neither the cgroup v1 blkio controller nor the v2 io controller is available');
  writeFileSync(join(root, 'cgroup.subtree_control'), '+io');
  return { version: 2, root };
}

/** "major:minor" of the whole disk holding `folder` (the controller throttles disks, not partitions). */
function diskUnder(folder: string): string {
  const { dev } = statSync(folder);
  const number = majorMinor(dev);
  const device = `/sys/dev/block/${number}`;
  if (!existsSync(device)) throw new Error(`${folder} is not on a disk (${number}): the cards need one to throttle`);
  const real = realpathSync(device);
  return existsSync(join(real, 'partition')) ? readFileSync(join(dirname(real), 'dev'), 'utf8').trim() : number;
}

function majorMinor(dev: number): string {
  return `${Math.floor(dev / 256) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}`;
}

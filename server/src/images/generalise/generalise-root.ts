import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GeneraliseAlwaysCleared, GeneraliseCandidate } from '@rpi-deploy/contracts';
import { DIRECTORY, quoted, typeOf, type RootDebugfs, type RootEntry } from './root-debugfs';
import {
  alwaysCleared,
  hasOwnNameLine,
  HOSTNAME,
  HOSTS,
  hostsWithoutOwnName,
  MACHINE_ID,
  sshHostKeys,
  TRACE_DEPTH,
  TRACE_ROOTS,
  traceCandidates,
  treeOf,
} from './unit-traces';

/** What generalising a root would clear, and what is needed to do it. */
export interface RootPlan {
  always: GeneraliseAlwaysCleared[];
  candidates: GeneraliseCandidate[];
  entries: RootEntry[];
  hosts?: string;
  blockSize: number;
  blockCount: number;
  partitionOffset: number;
}

/** Reads the root (a few debugfs runs, nothing written) and works out what would be cleared. */
export async function planGeneralisation(
  root: RootDebugfs,
  blocks: { blockSize: number; blockCount: number },
  partitionOffset: number,
): Promise<RootPlan> {
  const [etc, traces] = [await root.walk(['/etc'], 1), await root.walk(TRACE_ROOTS.slice(1), TRACE_DEPTH)];
  const ssh = await root.walk(['/etc/ssh', '/etc/NetworkManager'], 2);
  const entries = [...etc, ...ssh, ...traces];
  const [hosts] = await root.readText([HOSTS]);
  return {
    always: alwaysCleared(entries),
    candidates: traceCandidates(entries),
    entries,
    hosts,
    ...blocks,
    partitionOffset,
  };
}

/**
 * Clears the identity and the chosen candidates, in three steps so nothing the edits write can
 * land in a block being wiped: (1) remove everything that goes or is rewritten, (2) overwrite the
 * data blocks that freed with zeros (a removed SSH key or shell history must not stay readable in
 * free space; zero blocks also drop out of the new block map), (3) write the new contents with the
 * old owner and mode. Then reads back what it changed and throws if anything is not as planned.
 */
export async function applyGeneralisation(root: RootDebugfs, plan: RootPlan, chosen: Set<string>): Promise<void> {
  const byPath = new Map(plan.entries.map((entry) => [entry.path, entry]));
  const rewrites = new Map<string, string>();
  if (byPath.has(MACHINE_ID)) rewrites.set(MACHINE_ID, '');
  if (byPath.has(HOSTNAME)) rewrites.set(HOSTNAME, '');
  if (plan.hosts !== undefined) rewrites.set(HOSTS, hostsWithoutOwnName(plan.hosts));
  const removed: RootEntry[] = sshHostKeys(plan.entries).map((path) => byPath.get(path) as RootEntry);
  for (const candidate of plan.candidates.filter((c) => chosen.has(c.path))) {
    if (candidate.action === 'empty') rewrites.set(candidate.path, '');
    else removed.push(...treeOf(plan.entries, candidate.path));
  }
  const rewritten = [...rewrites.keys()].map((path) => byPath.get(path) as RootEntry);

  const goes = [...rewritten, ...removed];
  const freed = await root.blocksFreedBy(goes, plan.blockCount);
  await root.run(
    goes.map((entry) => `${typeOf(entry) === DIRECTORY ? 'rmdir' : 'rm'} ${quoted(entry.path)}`),
    true,
  );
  await zeroBlocks(root, plan, freed);
  await writeFiles(root, rewritten, rewrites);
  await checkGeneralised(root, rewrites, removed);
}

async function zeroBlocks(root: RootDebugfs, plan: RootPlan, blocks: number[]): Promise<void> {
  const file = await open(root.imagePath, 'r+');
  try {
    const zeros = Buffer.alloc(plan.blockSize);
    for (const block of blocks) await file.write(zeros, 0, zeros.length, plan.partitionOffset + block * plan.blockSize);
  } finally {
    await file.close();
  }
}

async function writeFiles(root: RootDebugfs, entries: RootEntry[], contents: Map<string, string>): Promise<void> {
  const staging = await mkdtemp(join(tmpdir(), 'rpi-deploy-generalise-'));
  try {
    const commands: string[] = [];
    for (const [index, entry] of entries.entries()) {
      const local = join(staging, String(index));
      await writeFile(local, contents.get(entry.path) ?? '');
      const path = quoted(entry.path);
      commands.push(
        `write ${local} ${path}`,
        `sif ${path} mode 0${entry.mode.toString(8)}`,
        `sif ${path} uid ${entry.uid}`,
        `sif ${path} gid ${entry.gid}`,
      );
    }
    await root.run(commands, true);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** debugfs exits 0 even when a command failed: what it was asked to do is read back instead. */
async function checkGeneralised(root: RootDebugfs, rewrites: Map<string, string>, removed: RootEntry[]): Promise<void> {
  const paths = [...rewrites.keys()];
  const actual = await root.readText(paths);
  const left = await root.exists(removed.map((entry) => entry.path));
  const problems = [
    ...paths.map((path, index) =>
      actual[index] === rewrites.get(path) ? undefined : `${path} reads back ${JSON.stringify(actual[index])}`,
    ),
    ...removed.map((entry, index) => (left[index] ? `${entry.path} is still there` : undefined)),
  ].filter((problem): problem is string => problem !== undefined);
  const hosts = actual[paths.indexOf(HOSTS)];
  if (hosts !== undefined && hasOwnNameLine(hosts)) problems.push(`${HOSTS} still names the reference unit`);
  if (problems.length > 0) throw new Error(`generalising failed: ${problems.join('; ')}`);
}

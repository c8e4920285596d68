import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync } from 'node:fs';
import type { StatusReport } from '@rpi-deploy/contracts';
import { runTool, type PiOsImage } from '@rpi-deploy/test-kit';
import type { ReceivedReport } from './contract-server';

const BLOCK = 4096;

/**
 * Compares the card with the image block by block over the image's length. Personalisation
 * changes a few blocks inside the two partitions; everything else, partition table, unmapped
 * blocks (zeros) and all other data, must be identical.
 */
export function differingBlocks(cardPath: string, image: PiOsImage): { outsidePartitions: number[]; inside: number } {
  const card = openSync(cardPath, 'r');
  const source = openSync(image.path, 'r');
  const a = Buffer.alloc(BLOCK);
  const b = Buffer.alloc(BLOCK);
  const outsidePartitions: number[] = [];
  let inside = 0;
  const { boot, root } = image.partitions;
  const inPartition = (offset: number) =>
    [boot, root].some((p) => offset >= p.startBytes && offset < p.startBytes + p.sizeBytes);
  try {
    for (let offset = 0; offset < image.size; offset += BLOCK) {
      readSync(card, a, 0, BLOCK, offset);
      readSync(source, b, 0, BLOCK, offset);
      if (a.equals(b)) continue;
      if (inPartition(offset)) inside += 1;
      else outsidePartitions.push(offset);
    }
  } finally {
    closeSync(card);
    closeSync(source);
  }
  return { outsidePartitions, inside };
}

/** The status trail a successful install leaves: every phase in order, progress never going back, the token on every report. */
export function expectSuccessfulTrail(reports: ReceivedReport[], deploymentId: string, token: string): StatusReport[] {
  const accepted = reports.filter((received) => received.status === 200).map((received) => received.report);
  for (const received of reports) expect(received.authorization).toBe(`Bearer ${token}`);
  for (const report of accepted) expect(report.deploymentId).toBe(deploymentId);
  const phases = accepted.map((report) => report.status).filter((status, index, all) => status !== all[index - 1]);
  expect(phases).toEqual(['starting', 'downloading', 'verifying', 'customizing', 'success']);
  const progress = accepted.map((report) => report.progress).filter((value): value is number => value !== undefined);
  expect(progress).toEqual([...progress].sort((x, y) => x - y));
  expect(progress[0]).toBe(0);
  expect(progress.at(-1)).toBe(100);
  for (const report of accepted) {
    if (report.bytesDone !== undefined) expect(report.bytesDone).toBeLessThanOrEqual(report.bytesTotal as number);
  }
  return accepted;
}

/** Every path with its type, size and content hash, as debugfs's rdump writes the tree out. */
export function ext4Tree(image: string, offset: number, dir: string): string {
  mkdirSync(dir);
  runTool('debugfs', ['-R', `rdump / ${dir}`, `${image}?offset=${offset}`]);
  return execFileSync('sh', ['-c', `cd ${dir} && find . -type f -print0 | sort -z | xargs -0 sha256sum`]).toString();
}

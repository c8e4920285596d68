import { closeSync, constants, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_BLOCK_SIZE } from '@rpi-deploy/contracts';
import { buildReferenceCard, runTool, usedExt4Bytes, type ReferenceCard } from '@rpi-deploy/test-kit';
import { buildCaptureMap } from '../../installer/src/capture/capture-map';
import { captureCard } from '../../installer/src/capture/capture-card';
import { ReadOnlyCard } from '../../installer/src/capture/read-only-card';
import { request } from '../../installer/src/download/http-client';
import { resolveSettings } from '../../installer/src/settings';
import type { BenchRow } from './main';
import { median, startServer, type BenchServer } from './support';

const MiB = 1 << 20;
const ROUNDS = 3;
const UNIT = { serial: '10000000cafe0001', mac: 'd8:3a:dd:00:00:01' };

/**
 * Capture of a reference card (Pi-OS-shaped, 30% of its root file system's data deleted after
 * use): the bytes the filesystem-aware map takes against the live data and against
 * `bmaptool create` (every non-zero block); and the time from card read to the real server's
 * store (map, read, upload, chunking, SHA-256) against reading the whole card alone.
 */
export async function capture(work: string): Promise<BenchRow[]> {
  const card = buildReferenceCard(work, { sizeMiB: 768, randomDataMiB: 240, deletedFraction: 0.3 });
  const reader = new ReadOnlyCard(card.path);
  const server = await startServer();
  try {
    const map = buildCaptureMap(reader, IMAGE_BLOCK_SIZE);
    const live = liveBytes(card);
    const bmap = bmaptoolMappedBytes(card.path, join(work, 'card.bmap'));
    const readAlone: number[] = [];
    const captured: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      readAlone.push(timed(() => readWholeCard(card.path)));
      captured.push(await timedAsync(() => captureToServer(server, card.path, `bench-${round}`)));
    }
    const [baseline, ours] = [median(readAlone), median(captured)];
    return [
      {
        suite: 'capture',
        case: `map of a ${card.size / MiB} MiB card, ${(card.deletedBytes / MiB).toFixed(0)} MiB deleted`,
        ours: `${(map.mappedBytes / MiB).toFixed(1)} MiB mapped (live ${(live / MiB).toFixed(1)} MiB)`,
        baseline: `bmaptool create ${(bmap / MiB).toFixed(1)} MiB`,
        ratio: bmap / map.mappedBytes,
        target: '<= live data + 1%',
        pass: map.mappedBytes <= live * 1.01,
      },
      {
        suite: 'capture',
        case: 'card read to server store (map, read, upload, store)',
        ours: `${(card.size / MiB / ours).toFixed(0)} MiB/s of card`,
        baseline: `read card alone ${(card.size / MiB / baseline).toFixed(0)} MiB/s`,
        ratio: baseline / ours,
        target: '>= 0.8x reading the card',
        pass: baseline / ours >= 0.8,
      },
    ];
  } finally {
    reader.close();
    await server.stop();
  }
}

/** Live data: the area before the first partition, FAT in use (mtools), ext4 in use (dumpe2fs). */
function liveBytes(card: ReferenceCard): number {
  const { boot, root } = card.partitions;
  const mdir = runTool('mdir', ['-i', `${card.path}@@${boot.startBytes}`, '::']).toString();
  const fatFree = Number(/([\d ]+) bytes free/.exec(mdir)?.[1].replace(/ /g, ''));
  return boot.startBytes + (boot.sizeBytes - fatFree) + usedExt4Bytes(card.path, root.startBytes);
}

function bmaptoolMappedBytes(image: string, bmap: string): number {
  runTool('bmaptool', ['create', '-o', bmap, image]);
  const xml = runTool('cat', [bmap]).toString();
  return Number(/<MappedBlocksCount>\s*(\d+)/.exec(xml)?.[1]) * Number(/<BlockSize>\s*(\d+)/.exec(xml)?.[1]);
}

function readWholeCard(path: string): void {
  const fd = openSync(path, constants.O_RDONLY);
  const buffer = Buffer.alloc(4 * MiB);
  try {
    while (readSync(fd, buffer) > 0);
  } finally {
    closeSync(fd);
  }
}

/**
 * What capture mode does with a card, by the installer's own code: mark the unit, then map the
 * card, send its used stretches to the capture session and wait for the stored image.
 */
async function captureToServer(server: BenchServer, card: string, version: string): Promise<void> {
  // node:http, not fetch: fetch would reuse a keep-alive connection the server closed while the card was built.
  const marked = await request(`${server.management}/api/netboot/units/${UNIT.serial}/capture`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ product: 'KXP2', version }),
    timeoutMs: 30_000,
  });
  if (marked.status !== 200) throw new Error(`marking the unit failed: ${marked.status} ${marked.body.toString()}`);
  const settings = resolveSettings({ server: server.deployment, device: card, reboot: false, capture: true }, {}, UNIT);
  const lines: string[] = [];
  const code = await captureCard(settings, (line) => lines.push(line));
  if (code !== 0) throw new Error(`capture failed (exit ${code}):\n${lines.join('\n')}`);
}

function timed(action: () => void): number {
  const start = process.hrtime.bigint();
  action();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function timedAsync(action: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

import { closeSync, constants, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_BLOCK_SIZE } from '@rpi-deploy/contracts';
import { buildReferenceCard, runTool, usedExt4Bytes, type ReferenceCard } from '@rpi-deploy/test-kit';
import type { ByteRange } from '../../installer/src/capture/byte-ranges';
import { buildCaptureMap } from '../../installer/src/capture/capture-map';
import { captureCard } from '../../installer/src/capture/capture-card';
import { ReadOnlyCard } from '../../installer/src/capture/read-only-card';
import { request } from '../../installer/src/download/http-client';
import { resolveSettings } from '../../installer/src/settings';
import type { BenchRow } from './main';
import { median, startServer, type BenchServer } from './support';
import { openThrottledReadCard } from './throttled-cards';

const MiB = 1 << 20;
const ROUNDS = 3;
/** A Pi 5 reads a good SD card at about 40-90 MB/s: the card's read rate here (BENCH_CAPTURE_CARD_MBPS overrides). */
const CARD_MB_PER_SECOND = Number(process.env['BENCH_CAPTURE_CARD_MBPS'] ?? 80);
const UNIT = { serial: '10000000cafe0001', mac: 'd8:3a:dd:00:00:01' };

/**
 * Capture of a reference card (Pi-OS-shaped, 30% of its root file system's data deleted after
 * use): the bytes the filesystem-aware map takes against the live data and against
 * `bmaptool create` (every non-zero block); and the time from card read to the real server's
 * store (map, read, upload, chunking, SHA-256) against reading the same mapped ranges alone, both
 * from the card as a loop device read at a card's rate (cache dropped before each read).
 */
export async function capture(work: string): Promise<BenchRow[]> {
  const card = buildReferenceCard(work, { sizeMiB: 768, randomDataMiB: 240, deletedFraction: 0.3 });
  const reader = new ReadOnlyCard(card.path);
  const throttled = openThrottledReadCard(card.path, CARD_MB_PER_SECOND * 1e6);
  try {
    const map = buildCaptureMap(reader, IMAGE_BLOCK_SIZE);
    const live = liveBytes(card);
    const bmap = bmaptoolMappedBytes(card.path, join(work, 'card.bmap'));
    // Only this process reads through the cap, and only while it is timed; each read starts uncached.
    const fromCard = async (action: () => Promise<void>): Promise<number> => {
      throttled.dropCache();
      throttled.enter(process.pid);
      try {
        return await timedAsync(action);
      } finally {
        throttled.leave(process.pid);
      }
    };
    const wholeCard = await fromCard(async () => readRanges(throttled.device, [{ start: 0, end: card.size }]));
    const readAlone: number[] = [];
    const captured: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      readAlone.push(await fromCard(async () => readRanges(throttled.device, map.ranges)));
      // A new server each round: one that holds the chunks already would skip compressing them.
      const server = await startServer();
      try {
        captured.push(await fromCard(() => captureToServer(server, throttled.device, `bench-${round}`)));
      } finally {
        await server.stop();
      }
    }
    const [baseline, ours] = [median(readAlone), median(captured)];
    const mapped = map.mappedBytes / MiB;
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
        case:
          `card read to server store (map, read, upload, store) of ${mapped.toFixed(0)} MiB mapped, ` +
          `card reading ${CARD_MB_PER_SECOND} MB/s`,
        ours: `${ours.toFixed(1)} s (${(mapped / ours).toFixed(0)} MiB/s of mapped bytes)`,
        baseline:
          `reading the mapped ranges alone ${baseline.toFixed(1)} s ` +
          `(whole card ${wholeCard.toFixed(1)} s, ${(card.size / MiB / wholeCard).toFixed(0)} MiB/s)`,
        ratio: baseline / ours,
        target: '>= 0.8x reading the mapped ranges',
        pass: baseline / ours >= 0.8,
      },
    ];
  } finally {
    throttled.close();
    reader.close();
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

/** Reads `ranges` of the card in the capture's 4 MiB pieces, as a baseline that does nothing else. */
function readRanges(path: string, ranges: ByteRange[]): void {
  const fd = openSync(path, constants.O_RDONLY);
  const buffer = Buffer.allocUnsafe(4 * MiB);
  try {
    for (const range of ranges) {
      for (let offset = range.start; offset < range.end;) {
        const read = readSync(fd, buffer, 0, Math.min(buffer.length, range.end - offset), offset);
        if (read === 0) throw new Error(`${path} ends at ${offset}`);
        offset += read;
      }
    }
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

async function timedAsync(action: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

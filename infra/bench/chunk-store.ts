import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ChunkManifest, DeploymentDto, ImageDto, TransferCounts } from '@rpi-deploy/contracts';
import {
  buildPiOsImage,
  deriveNextVersion,
  startStaticNginx,
  uploadImage,
  writeBlockMap,
  zstdNode,
} from '@rpi-deploy/test-kit';
import type { BenchRow } from './main';
import { openShapedLink } from './shaped-link';
import { median, post, ROOT, run, startServer, type BenchServer } from './support';

const MiB = 1024 ** 2;
/** Rounds of our fresh install and of bmaptool's (BENCH_CHUNK_ROUNDS overrides). */
const ROUNDS = Number(process.env['BENCH_CHUNK_ROUNDS'] ?? 3);
/** Gigabit Ethernet's payload rate, about 117 MB/s. */
const GIGABIT_MBIT = 940;

/**
 * The chunk store's figures (issue 16) in one run: a Raspberry-Pi-OS-like image of 1 GiB whose
 * root file system holds real programs, libraries and text of this machine (about a third mapped),
 * and its next version with 5% of those files changed in place. Both are uploaded to the real
 * server (zstd level 19 chunks) and installed by the real installer bundle under Node 24 (zstd in
 * zlib) onto files standing for cards: on the wire against `zstd -19 --long` of the whole image
 * and against the mapped bytes, a re-image N -> N+1 (by patches against the card's N where it has
 * them) against a fresh N+1, the store of both versions (patches included) against N alone, and
 * our install against `bmaptool copy` of the local image, and over a link shaped to gigabit speed
 * (a network namespace behind `tc`) our install against `bmaptool copy` of the `.img.zst` and its
 * block map from nginx on the same server end of the same link.
 */
export async function chunkStore(work: string): Promise<BenchRow[]> {
  const node = zstdNode();
  const versionN = buildPiOsImage(work, { name: 'n.img', sizeMiB: 1024, systemFilesMiB: 320 });
  const versionN1 = deriveNextVersion(versionN, work, { name: 'n1.img', changedFraction: 0.05 });
  // What bmaptool gets over the link: the whole image as one zstd stream, and its block map.
  const served = join(work, 'served');
  mkdirSync(served);
  execFileSync('zstd', ['-q', '-19', '--long', '-T0', versionN.path, '-o', join(served, 'n.img.zst')]);
  const zstdLong = statSync(join(served, 'n.img.zst')).size;
  writeBlockMap(versionN.path, join(served, 'n.bmap'));

  const link = openShapedLink(GIGABIT_MBIT);
  const server = await startServer({}, link.serverAddress);
  const nginx = await startStaticNginx(served, link.serverAddress).catch((error: Error) => {
    link.close();
    throw error;
  });
  try {
    await post(server, '/api/venues', { code: 'BNCH', name: 'Bench' });
    const storedN = await uploadImage(server.management, server.token, {
      filePath: versionN.path,
      product: 'RXP2',
      version: 'N',
      activate: true,
    });
    const storeN = folderBytes(join(server.dataDir, 'chunks'));
    const manifestN = await manifestOf(server, storedN);
    const wireN = manifestN.chunks.reduce((sum, chunk) => sum + chunk.storedSize, 0);

    const card = join(work, 'card.img');
    const install = async (
      serial: number,
      overLink = false,
    ): Promise<{ seconds: number; peakRssKiB: number; transfer: TransferCounts; patched: number }> => {
      const started = performance.now();
      const timing = join(work, 'installer-time.txt');
      const output = await run(
        ...on(overLink, '/usr/bin/time', [
          '-o',
          timing,
          '-f',
          '%M',
          node,
          join(ROOT, 'dist/installer/pi-installer.js'),
          '--server',
          server.deployment,
          '--device',
          card,
          '--serial',
          `10000000${String(serial).padStart(8, '0')}`,
          '--mac',
          `02:00:00:00:00:${String(serial % 100).padStart(2, '0')}`,
          '--product',
          'RXP2',
          '--venue',
          'BNCH',
          '--no-reboot',
        ]),
      ).catch((error: Error) => {
        throw new Error(`the installer failed: ${error.message}`);
      });
      const seconds = (performance.now() - started) / 1000;
      const deployment = await latestSuccess(server);
      if (!deployment.transfer?.chunksTotal) throw new Error('the install did not go by chunks: ' + output.slice(-400));
      return {
        seconds,
        peakRssKiB: Number(readFileSync(timing, 'utf8').trim()),
        transfer: deployment.transfer,
        patched: Number(/, (\d+) patched/.exec(output)?.[1] ?? 0),
      };
    };
    const on = (overLink: boolean, command: string, args: string[]) =>
      overLink ? link.onUnit(command, args) : ([command, args] as const);
    const freshCard = () => {
      execFileSync('rm', ['-f', card]);
      execFileSync('truncate', ['-s', String(versionN.size + 64 * MiB), card]);
    };

    // Fresh installs of N against bmaptool copy of the local image with its block map, in turns.
    const bmap = join(served, 'n.bmap');
    const ours: number[] = [];
    const bmaptool: number[] = [];
    let fresh = {
      seconds: 0,
      peakRssKiB: 0,
      transfer: { bytesFetched: 0, bytesWritten: 0 } as TransferCounts,
      patched: 0,
    };
    for (let round = 0; round < ROUNDS; round += 1) {
      freshCard();
      fresh = await install(round + 1);
      ours.push(fresh.seconds);
      freshCard();
      const started = performance.now();
      await run('bmaptool', ['copy', '--bmap', bmap, versionN.path, card]);
      bmaptool.push((performance.now() - started) / 1000);
    }

    // The same over the gigabit link: our install against bmaptool copy of the .img.zst from nginx.
    const oursLink: number[] = [];
    const bmaptoolLink: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      freshCard();
      oursLink.push((await install(round + 50, true)).seconds);
      freshCard();
      const started = performance.now();
      await run(...link.onUnit('bmaptool', ['copy', '--bmap', `${nginx.url}/n.bmap`, `${nginx.url}/n.img.zst`, card]));
      bmaptoolLink.push((performance.now() - started) / 1000);
    }

    // Re-image: the card holds N (installed last), the server hands out N+1.
    freshCard();
    await install(90);
    const storedN1 = await uploadImage(server.management, server.token, {
      filePath: versionN1.path,
      product: 'RXP2',
      version: 'N+1',
      activate: true,
    });
    const storeBoth = folderBytes(join(server.dataDir, 'chunks'));
    const wireN1 = (await manifestOf(server, storedN1)).chunks.reduce((sum, chunk) => sum + chunk.storedSize, 0);
    const delta = await install(91);

    const mapped = storedN.mappedBytes;
    const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
    const runs = (list: number[]) => list.map((seconds) => seconds.toFixed(2)).join('/');
    const [oursMedian, bmaptoolMedian] = [median(ours), median(bmaptool)];
    const [oursLinkMedian, bmaptoolLinkMedian] = [median(oursLink), median(bmaptoolLink)];
    return [
      {
        suite: 'chunk store',
        case: `fresh install of a 1 GiB Pi-OS-like image (${mib(mapped)} mapped): wire vs zstd -19 --long of the image`,
        ours: `${mib(fresh.transfer.bytesFetched)} fetched (manifest ${mib(wireN)})`,
        baseline: `${mib(zstdLong)}`,
        ratio: zstdLong / fresh.transfer.bytesFetched,
        target: 'wire <= 1.2x zstd --long (ratio >= 0.83)',
        pass: fresh.transfer.bytesFetched <= 1.2 * zstdLong,
      },
      {
        suite: 'chunk store',
        case: 'fresh install: wire vs mapped bytes',
        ours: mib(fresh.transfer.bytesFetched),
        baseline: mib(mapped),
        ratio: (0.4 * mapped) / fresh.transfer.bytesFetched,
        target: 'wire <= 0.4x mapped (ratio >= 1)',
        pass: fresh.transfer.bytesFetched <= 0.4 * mapped,
      },
      {
        suite: 'chunk store',
        case: `re-image N -> N+1 (5% of the system files changed) vs a fresh N+1`,
        ours:
          `${mib(delta.transfer.bytesFetched)} fetched, ${delta.transfer.chunksReused} of ` +
          `${delta.transfer.chunksTotal} chunks reused, ${delta.patched} patched`,
        baseline: mib(wireN1),
        ratio: (0.15 * wireN1) / delta.transfer.bytesFetched,
        target: 'wire <= 0.15x fresh (ratio >= 1)',
        pass: delta.transfer.bytesFetched <= 0.15 * wireN1,
      },
      {
        suite: 'chunk store',
        case: 'store of N and N+1 vs N alone',
        ours: mib(storeBoth),
        baseline: mib(storeN),
        ratio: (1.2 * storeN) / storeBoth,
        target: 'N + N+1 <= 1.2x N (ratio >= 1)',
        pass: storeBoth <= 1.2 * storeN,
      },
      {
        suite: 'chunk store',
        case: `fresh install (verified) on loopback vs bmaptool copy of the local image (median of ${ROUNDS})`,
        ours: `${oursMedian.toFixed(2)} s; runs ${runs(ours)}`,
        baseline: `${bmaptoolMedian.toFixed(2)} s, not verified; runs ${runs(bmaptool)}`,
        ratio: bmaptoolMedian / oursMedian,
        target: '>= 1.2x bmaptool (ratio >= 1.2)',
        pass: bmaptoolMedian / oursMedian >= 1.2,
      },
      {
        suite: 'chunk store',
        case: `fresh install (verified) over a ${GIGABIT_MBIT} Mbit/s link vs bmaptool copy of the .img.zst from nginx (median of ${ROUNDS})`,
        ours: `${oursLinkMedian.toFixed(2)} s; runs ${runs(oursLink)}`,
        baseline: `${bmaptoolLinkMedian.toFixed(2)} s, ${mib(zstdLong)} zstd stream; runs ${runs(bmaptoolLink)}`,
        ratio: bmaptoolLinkMedian / oursLinkMedian,
        target: '>= 1.5x bmaptool (ratio >= 1.5)',
        pass: bmaptoolLinkMedian / oursLinkMedian >= 1.5,
      },
      {
        suite: 'chunk store',
        case: 'installer peak RSS (fresh install, /usr/bin/time)',
        ours: `${(fresh.peakRssKiB / 1024).toFixed(0)} MiB`,
        baseline: '256 MiB',
        ratio: (256 * 1024) / fresh.peakRssKiB,
        target: 'bounded, under 256 MiB (ratio >= 1)',
        pass: fresh.peakRssKiB <= 256 * 1024,
      },
    ];
  } finally {
    await Promise.all([server.stop(), nginx.stop()]);
    link.close();
  }
}

async function manifestOf(server: BenchServer, image: ImageDto): Promise<ChunkManifest> {
  const response = await fetch(`${server.deployment}/images/${image.filename}.chunks`);
  if (!response.ok) throw new Error(`no chunk manifest for ${image.filename}: ${response.status}`);
  return (await response.json()) as ChunkManifest;
}

async function latestSuccess(server: BenchServer): Promise<DeploymentDto> {
  const response = await fetch(`${server.management}/api/deployments?status=success&pageSize=1`, {
    headers: { authorization: `Bearer ${server.token}` },
  });
  const page = (await response.json()) as { items: DeploymentDto[] };
  if (!page.items[0]) throw new Error('no successful deployment');
  return page.items[0];
}

/** Bytes the files under `folder` take on disk (allocated blocks, as du counts them). */
function folderBytes(folder: string): number {
  let total = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).blocks * 512;
  }
  return total;
}

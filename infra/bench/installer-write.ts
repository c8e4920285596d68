import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStaticNginx, uploadImage } from '@rpi-deploy/test-kit';
import type { BenchRow } from './main';
import { median, ROOT, run, startServer } from './support';

const GiB = 1024 ** 3;
/** Rounds of the three contenders (BENCH_INSTALLER_ROUNDS overrides). */
const ROUNDS = Number(process.env['BENCH_INSTALLER_ROUNDS'] ?? 5);

/**
 * Writing a 2 GiB image with about 25 % mapped blocks to a file standing for the card, in one
 * run: our installer (download, write, verification, personalisation) against
 * `curl | zstd -d | dd bs=4M conv=fsync` and `bmaptool copy`, which do not verify the card.
 * Each card is a fresh sparse file, as bmaptool and dd get it too.
 */
export async function installerWrite(work: string): Promise<BenchRow[]> {
  const image = join(work, 'install.img');
  buildSparseImage(image);
  execFileSync('zstd', ['-q', '-T0', '-3', image, '-o', `${image}.zst`]);

  const server = await startServer();
  const nginx = await startStaticNginx(work);
  try {
    const post = (path: string, body: unknown) =>
      fetch(`${server.management}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const stored = await uploadImage(server.management, server.token, {
      filePath: image,
      product: 'RXP2',
      version: 'bench',
      activate: true,
    });
    await post('/api/venues', { code: 'BNCH', name: 'Bench' });

    const card = join(work, 'card.img');
    const fresh = () => {
      execFileSync('rm', ['-f', card]);
      execFileSync('truncate', ['-s', String(2 * GiB + 64 * 1024 * 1024), card]);
    };

    const bmapFile = join(server.dataDir, 'images', `${stored.filename}.bmap`);
    const contenders = {
      ours: () =>
        run(process.execPath, [
          join(ROOT, 'dist/installer/pi-installer.js'),
          '--server',
          server.deployment,
          '--device',
          card,
          '--serial',
          '10000000deadbeef',
          '--mac',
          '02:00:00:00:be:ef',
          '--product',
          'RXP2',
          '--venue',
          'BNCH',
          '--no-reboot',
        ]),
      dd: () =>
        run('bash', [
          '-c',
          `set -o pipefail; curl -sf ${nginx.url}/install.img.zst | zstd -dc | dd of=${card} bs=4M conv=fsync,notrunc status=none`,
        ]),
      bmaptool: () =>
        run('bmaptool', ['copy', '--bmap', bmapFile, `${server.deployment}/images/${stored.filename}`, card]),
    };
    // Rounds of all three in turn: the machine is shared, so each round compares like with like,
    // and the median of the rounds is what is reported.
    const times: Record<keyof typeof contenders, number[]> = { ours: [], dd: [], bmaptool: [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const name of Object.keys(contenders) as Array<keyof typeof contenders>) {
        fresh();
        times[name].push(await timed(contenders[name]));
      }
    }
    const [ours, ddPipeline, bmaptool] = [median(times.ours), median(times.dd), median(times.bmaptool)];
    const rate = (seconds: number) => `${((2 * GiB) / 1e6 / seconds).toFixed(0)} MB/s`;
    const runs = (list: number[]) => `runs ${list.map((seconds) => seconds.toFixed(2)).join('/')} s`;
    return [
      {
        suite: 'installer write',
        case: `2 GiB image, 25% mapped, vs curl | zstd -d | dd bs=4M conv=fsync (median of ${ROUNDS})`,
        ours: `${ours.toFixed(2)} s (${rate(ours)}), verified; ${runs(times.ours)}`,
        baseline: `${ddPipeline.toFixed(2)} s (${rate(ddPipeline)}), not verified; ${runs(times.dd)}`,
        ratio: ddPipeline / ours,
        target: 'faster than the dd pipeline (ratio > 1)',
        pass: ours < ddPipeline,
      },
      {
        suite: 'installer write',
        case: `2 GiB image, 25% mapped, vs bmaptool copy (median of ${ROUNDS})`,
        ours: `${ours.toFixed(2)} s (${rate(ours)}), verified`,
        baseline: `${bmaptool.toFixed(2)} s (${rate(bmaptool)}), not verified; ${runs(times.bmaptool)}`,
        ratio: bmaptool / ours,
        target: 'no slower than bmaptool (ratio >= 1)',
        pass: ours <= bmaptool,
      },
    ];
  } finally {
    await nginx.stop();
    await server.stop();
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

/** An MBR image of 2 GiB: a FAT32 boot partition and an ext4 root, a quarter of it data. */
export function buildSparseImage(path: string): void {
  execFileSync('truncate', ['-s', String(2 * GiB), path]);
  const bootStart = 8192;
  const bootSectors = 512 * 2048;
  const rootStart = bootStart + bootSectors;
  execFileSync('sfdisk', ['--quiet', path], {
    input: `label: dos\nstart=${bootStart}, size=${bootSectors}, type=c\nstart=${rootStart}, type=83\n`,
  });
  execFileSync('mkfs.vfat', ['-F', '32', '--offset', String(bootStart), path, String(bootSectors / 2)], {
    stdio: 'ignore',
  });
  writeFileSync(`${path}.cmdline`, 'console=serial0,115200 root=PARTUUID=00000000-02 rootwait\n');
  execFileSync('mcopy', ['-i', `${path}@@${bootStart * 512}`, `${path}.cmdline`, '::/cmdline.txt']);
  const rootBytes = statSync(path).size - rootStart * 512;
  const rootDir = `${path}.root`;
  execFileSync('mkdir', ['-p', `${rootDir}/etc/ssh`]);
  writeFileSync(`${rootDir}/etc/hostname`, 'raspberrypi\n');
  writeFileSync(`${rootDir}/etc/hosts`, '127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n');
  writeFileSync(`${rootDir}/etc/machine-id`, '0123456789abcdef0123456789abcdef\n');
  writeFileSync(`${rootDir}/etc/ssh/ssh_host_ed25519_key`, 'dummy\n');
  // Data that compresses like a real system: half random, half repetitive text.
  execFileSync('bash', [
    '-c',
    `head -c 256M /dev/urandom > '${rootDir}/random.bin'; yes 'raspberry pi deployment' | head -c 256M > '${rootDir}/text.log'`,
  ]);
  execFileSync(
    'mkfs.ext4',
    ['-q', '-F', '-d', rootDir, '-E', `offset=${rootStart * 512}`, path, `${rootBytes / 1024}k`],
    { stdio: 'ignore' },
  );
}

import { join } from 'node:path';
import type { ChunkManifest } from '@rpi-deploy/contracts';
import { buildPiOsImage, uploadImage, zstdNode } from '@rpi-deploy/test-kit';
import { openFleetNetwork } from './fleet-network';
import { runFleet, type FleetRun, type FleetSetup } from './fleet-run';
import type { BenchRow } from './main';
import { median, post, startServer, type BenchServer } from './support';
import { openThrottledCards, type ThrottledCards } from './throttled-cards';
import { trackerLoad } from './tracker-load';

const MiB = 1024 ** 2;
/**
 * The venue scaled down together so that two cores hold a fleet: links of 100 Mbit/s (gigabit /
 * ~9.4), cards writing 4.5 MB/s, a 256 MiB image about a third mapped. BENCH_FLEET_* override.
 */
const LINK_MBIT = Number(process.env['BENCH_FLEET_LINK_MBIT'] ?? 100);
const CARD_BYTES_PER_SECOND = Number(process.env['BENCH_FLEET_CARD_BYTES_PER_SECOND'] ?? 4_500_000);
const IMAGE_MIB = 256;
const SYSTEM_FILES_MIB = 80;
const FLEET = Number(process.env['BENCH_FLEET_UNITS'] ?? 16);
/** The larger fleet, if the machine holds it (0: left out). */
const LARGE_FLEET = Number(process.env['BENCH_FLEET_LARGE'] ?? 32);
/**
 * Units the server feeds at once: its link over one card's write rate, as the server's own default
 * (DEPLOY_LINK_MBITS over a card's rate) works it out at full scale, and at least two.
 */
const SERVER_CAP = Math.max(2, Math.floor((LINK_MBIT * 1e6) / 8 / CARD_BYTES_PER_SECOND));
/** 0 leaves out the fleet without peers (under admission it takes minutes by design). */
const WITHOUT_PEERS = process.env['BENCH_FLEET_WITHOUT_PEERS'] !== '0';
/** Rounds of the one unit alone, the cheap baseline (the fleets run once). */
const ROUNDS = Number(process.env['BENCH_FLEET_ROUNDS'] ?? 3);

/**
 * The fleet figures (issue 17): one unit alone, a fleet sharing chunks, the same fleet from the
 * server only under admission, a larger fleet; all on one switch (see fleet-network.ts) against
 * the real server and real installer bundles on throttled cards; plus the tracker's CPU at 200 units.
 */
export async function fleet(work: string): Promise<BenchRow[]> {
  const node = zstdNode();
  const image = buildPiOsImage(work, { name: 'fleet.img', sizeMiB: IMAGE_MIB, systemFilesMiB: SYSTEM_FILES_MIB });
  const units = Math.max(FLEET, LARGE_FLEET);
  const network = openFleetNetwork(units, LINK_MBIT);
  let cards: ThrottledCards | undefined;
  let server: BenchServer | undefined;
  const rows: BenchRow[] = [];
  try {
    cards = openThrottledCards(join(work, 'cards'), units, image.size + 64 * MiB, CARD_BYTES_PER_SECOND);
    server = await startServer({ DEPLOY_MAX_SERVER_TRANSFERS: String(SERVER_CAP) }, network.serverAddress, {
      managementHost: network.managementAddress,
      wrap: network.onServer,
    });
    await post(server, '/api/venues', { code: 'BNCH', name: 'Bench' });
    const stored = await uploadImage(server.management, server.token, {
      filePath: image.path,
      product: 'RXP2',
      version: 'fleet',
      activate: true,
    });
    const manifest = (await (
      await fetch(`${server.deployment}/images/${stored.filename}.chunks`)
    ).json()) as ChunkManifest;
    const wire = manifest.chunks.reduce((sum, chunk) => sum + chunk.storedSize, 0);
    const setup: FleetSetup = { network, cards, node, deploymentUrl: server.deployment };
    const scale =
      `links ${LINK_MBIT} Mbit/s, cards ${(CARD_BYTES_PER_SECOND / 1e6).toFixed(1)} MB/s, image ${IMAGE_MIB} MiB ` +
      `(${mib(stored.mappedBytes)} mapped, ${mib(wire)} on the wire), server cap ${SERVER_CAP}`;
    process.stderr.write(`bench: fleet scale: ${scale}\n`);

    let serial = 1;
    const fleetOf = async (count: number, peers: boolean) => {
      const run = await runFleet(setup, count, peers, serial);
      serial += count;
      process.stderr.write(`bench: fleet of ${count}, peers ${peers ? 'on' : 'off'}: ${describe(run)}\n`);
      return run;
    };
    const alone: FleetRun[] = [];
    for (let round = 0; round < ROUNDS; round += 1) alone.push(await fleetOf(1, true));
    const one = median(alone.map((run) => run.makespan));
    const oneBytes = median(alone.map((run) => run.serverBytes));
    rows.push({
      suite: 'fleet',
      case: `one unit alone (median of ${ROUNDS}); scale: ${scale}`,
      ours: `${one.toFixed(1)} s; runs ${alone.map((run) => run.makespan.toFixed(1)).join('/')}`,
      baseline: `server sent ${mib(oneBytes)} (manifest ${mib(wire)})`,
      ratio: 1,
      target: 'the baseline of the fleet rows',
      pass: true,
    });
    const shared = (count: number, run: FleetRun): BenchRow[] => [
      {
        suite: 'fleet',
        case: `${count} units, peers on: makespan vs one unit alone`,
        ours: describe(run),
        baseline: `${one.toFixed(1)} s`,
        ratio: (1.5 * one) / run.makespan,
        target: 'makespan <= 1.5x one unit (ratio >= 1)',
        pass: run.makespan <= 1.5 * one,
      },
      {
        suite: 'fleet',
        case: `${count} units, peers on: server bytes sent vs one unit's`,
        ours: `${mib(run.serverBytes)} (${(run.serverBytes / oneBytes).toFixed(2)}x)`,
        baseline: mib(oneBytes),
        ratio: (3 * oneBytes) / run.serverBytes,
        target: 'server bytes <= 3x one unit (ratio >= 1)',
        pass: run.serverBytes <= 3 * oneBytes,
      },
    ];
    rows.push(...shared(FLEET, await fleetOf(FLEET, true)));
    if (WITHOUT_PEERS) rows.push(serverOnly(await fleetOf(FLEET, false), one));
    if (LARGE_FLEET > FLEET) rows.push(...shared(LARGE_FLEET, await fleetOf(LARGE_FLEET, true)));
  } finally {
    await server?.stop();
    cards?.close();
    network.close();
  }
  rows.push(await trackerLoad(work));
  return rows;
}

/** The fleet from the server only, under admission: today's behaviour, groups finishing one after another. */
function serverOnly(run: FleetRun, one: number): BenchRow {
  const finishes = [...run.unitSeconds].sort((a, b) => a - b);
  return {
    suite: 'fleet',
    case: `${run.unitSeconds.length} units, peers off, admission cap ${SERVER_CAP}: makespan vs one unit alone (today's behaviour)`,
    ours: `${describe(run)}; finishes ${finishes.map((seconds) => seconds.toFixed(0)).join(' ')} s`,
    baseline: `${one.toFixed(1)} s (${(run.makespan / one).toFixed(1)}x)`,
    ratio: one / run.makespan,
    target: 'units finish group after group: the first well before the last (first <= 0.6x makespan)',
    pass: finishes[0] <= 0.6 * run.makespan,
  };
}

function describe(run: FleetRun): string {
  const sorted = [...run.unitSeconds].sort((a, b) => a - b);
  const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
  return (
    `makespan ${run.makespan.toFixed(1)} s, first done ${sorted[0].toFixed(1)} s, units min/median/p90/max ` +
    `${sorted[0].toFixed(1)}/${median(sorted).toFixed(1)}/${at(0.9).toFixed(1)}/${sorted[sorted.length - 1].toFixed(1)} s, ` +
    `server sent ${mib(run.serverBytes)}, ${cpu(run)}`
  );
}

/** The installers' CPU: whether the fleet waited for the network and cards or for the bench machine's two cores. */
function cpu(run: FleetRun): string {
  const total = run.unitCpuSeconds.reduce((sum, seconds) => sum + seconds, 0);
  if (Number.isNaN(total)) return 'installer CPU unknown (no cgroup v2 cpu.stat)';
  const busy = total / (2 * run.makespan);
  return `installer CPU median ${median(run.unitCpuSeconds).toFixed(1)} s, all units ${total.toFixed(0)} s = ${(busy * 100).toFixed(0)}% of 2 cores over the makespan`;
}

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

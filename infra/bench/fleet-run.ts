import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { FleetNetwork } from './fleet-network';
import { ROOT } from './support';
import type { ThrottledCards } from './throttled-cards';

/** A folder to keep every unit's console in (BENCH_FLEET_LOGS), for a look at what a slow unit waited for. */
const LOGS = process.env['BENCH_FLEET_LOGS'];
/** The port every unit serves its chunks on, on its own address (the installer's default port). */
const PEER_PORT = 5003;

export interface FleetRun {
  /** Seconds from power-on (all at once) to each unit's reported success, in unit order. */
  unitSeconds: number[];
  /** Seconds until the last unit succeeded. */
  makespan: number;
  /** Bytes the server sent into its link during the run. */
  serverBytes: number;
  /** CPU seconds each unit's installer used (it shares the bench machine's cores with the others). */
  unitCpuSeconds: number[];
}

export interface FleetSetup {
  network: FleetNetwork;
  cards: ThrottledCards;
  /** The Node that runs the installer bundle (one with zstd, as on the units). */
  node: string;
  deploymentUrl: string;
}

/**
 * `units` real installers powered on at once, each in its own namespace writing its own
 * throttled card, serving its chunks to the others (`peers`) or not (`--no-peers`). A unit's time
 * is when it reports success; it may then seed a while, and the run ends when every installer has
 * exited (so the server's byte count holds everything the fleet drew).
 */
export async function runFleet(
  setup: FleetSetup,
  units: number,
  peers: boolean,
  serialBase: number,
): Promise<FleetRun> {
  const { network, cards } = setup;
  cards.blank();
  const sentBefore = network.serverBytesSent();
  const cpuBefore = Array.from({ length: units }, (_, index) => cards.cpuSeconds(index));
  const started = performance.now();
  const runs = Array.from({ length: units }, (_, index) => {
    const serial = serialBase + index;
    const args = [join(ROOT, 'dist/installer/pi-installer.js'), '--server', setup.deploymentUrl];
    args.push('--device', cards.paths[index], '--serial', `10000000${String(serial).padStart(8, '0')}`);
    args.push('--mac', `02:00:00:${hexByte(serial >> 16)}:${hexByte(serial >> 8)}:${hexByte(serial)}`);
    args.push('--product', 'RXP2', '--venue', 'BNCH', '--no-reboot');
    args.push(...(peers ? ['--peer-listen', `${network.unitAddress(index)}:${PEER_PORT}`] : ['--no-peers']));
    const child = spawn(...cards.wrap(index, ...network.onUnit(index, setup.node, args)), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    let succeededAt: number | undefined;
    const keep = (line: string) => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      if (succeededAt === undefined && line.startsWith('pi-installer: success:')) succeededAt = performance.now();
    };
    const log = LOGS ? createWriteStream(join(LOGS, `unit-${serial}.log`)) : undefined;
    if (log) [child.stdout, child.stderr].forEach((stream) => stream.pipe(log, { end: false }));
    createInterface({ input: child.stdout }).on('line', keep);
    createInterface({ input: child.stderr }).on('line', keep);
    return new Promise<number>((done, fail) =>
      child.once('close', (code) =>
        code === 0 && succeededAt !== undefined
          ? done((succeededAt - started) / 1000)
          : fail(new Error(`unit ${index + 1} exited ${code}:\n${tail.join('\n')}`)),
      ),
    );
  });
  const settled = await Promise.allSettled(runs);
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const unitSeconds = settled.map((outcome) => (outcome as PromiseFulfilledResult<number>).value);
  return {
    unitSeconds,
    makespan: Math.max(...unitSeconds),
    serverBytes: network.serverBytesSent() - sentBefore,
    unitCpuSeconds: cpuBefore.map((before, index) => cards.cpuSeconds(index) - before),
  };
}

function hexByte(value: number): string {
  return (value & 0xff).toString(16).padStart(2, '0');
}

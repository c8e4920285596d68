import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConfigResponse } from '@rpi-deploy/contracts';
import { buildPiOsImage, uploadImage } from '@rpi-deploy/test-kit';
import type { BenchRow } from './main';
import { median, post, startServer, type BenchServer } from './support';

/** Simulated units: the fleet size the issue names for the tracker's cost. */
const UNITS = 200;
const SECONDS = Number(process.env['BENCH_TRACKER_SECONDS'] ?? 30);
/** A full-size image's chunks: about 2.4 GB mapped on the 1 MiB chunk grid. */
const CHUNKS = 2400;
/** Chunks each unit verifies per second: a card writing 20 MB/s, 1 MiB chunks. */
const CHUNKS_PER_SECOND = 20;
/** The installer's cadence (installer/src/peers/peer-session.ts): a holdings report every 2 s, */
const REPORT_EVERY_MS = 2_000;
/** and a sources question for the chunk wanted now and the 63 after it, asked again after 2 s. */
const SOURCES_AHEAD = 64;
/** Share of one core the tracker may take at 200 units ("little"). */
const CPU_TARGET = 0.25;

interface SimulatedUnit {
  config: ConfigResponse;
  /** What it advertises: this host's loopback (where its reports come from) and a port of its own. */
  address: string;
}

/**
 * The tracker's CPU cost: 200 plain HTTP clients, each a unit of a fleet powered on at once,
 * report the chunks they verify and ask where to fetch the next ones at the installer's cadence
 * against the real server; the server process's share of one core over the run, from /proc.
 */
export async function trackerLoad(work: string): Promise<BenchRow> {
  const server = await startServer();
  try {
    await post(server, '/api/venues', { code: 'BNCH', name: 'Bench' });
    const image = buildPiOsImage(work, { name: 'tracker.img' });
    await uploadImage(server.management, server.token, {
      filePath: image.path,
      product: 'RXP2',
      version: 'tracker',
      activate: true,
    });
    const units: SimulatedUnit[] = [];
    for (let index = 0; index < UNITS; index += 1) units.push(await configure(server, index));
    const chunks = Array.from({ length: CHUNKS }, (_, at) => createHash('sha256').update(`chunk ${at}`).digest('hex'));
    const cpuBefore = cpuSeconds(server.pid);
    const started = performance.now();
    const latencies = (await Promise.all(units.map((unit) => simulate(server, unit, chunks, started)))).flat();
    const seconds = (performance.now() - started) / 1000;
    const share = (cpuSeconds(server.pid) - cpuBefore) / seconds;
    // Two requests per unit per report period when the server keeps up; fewer when answers lag.
    const intended = (UNITS * 2 * 1000) / REPORT_EVERY_MS;
    const rate = latencies.length / seconds;
    latencies.sort((a, b) => a - b);
    const p90 = latencies[Math.floor(0.9 * (latencies.length - 1))];
    return {
      suite: 'fleet',
      case:
        `tracker CPU at ${UNITS} units over ${seconds.toFixed(0)} s (holdings every ${REPORT_EVERY_MS / 1000} s, ` +
        `sources for ${SOURCES_AHEAD} chunks, ${CHUNKS_PER_SECOND} chunks/s each)`,
      ours:
        `${(share * 100).toFixed(1)}% of one core; ${rate.toFixed(0)} of ${intended} tracker requests/s ` +
        `answered, median ${median(latencies).toFixed(0)} ms, p90 ${p90.toFixed(0)} ms`,
      baseline: `${CPU_TARGET * 100}% of one core`,
      ratio: CPU_TARGET / share,
      target: `server CPU <= ${CPU_TARGET * 100}% of one core at >= 90% of the cadence (ratio >= 1)`,
      pass: share <= CPU_TARGET && rate >= 0.9 * intended,
    };
  } finally {
    await server.stop();
  }
}

async function configure(server: BenchServer, index: number): Promise<SimulatedUnit> {
  const hex = (0x2000 + index).toString(16).padStart(4, '0');
  const response = await fetch(`${server.deployment}/api/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      serial: `10000000feed${hex}`,
      mac: `02:00:01:00:${hex.slice(0, 2)}:${hex.slice(2)}`,
      product: 'RXP2',
      venue: 'BNCH',
      storageBytes: 32e9,
    }),
  });
  if (!response.ok) throw new Error(`POST /api/config: ${response.status} ${await response.text()}`);
  return { config: (await response.json()) as ConfigResponse, address: `127.0.0.1:${20_000 + index}` };
}

/** One unit's tracker traffic until SECONDS have passed; resolves with each request's milliseconds. */
async function simulate(
  server: BenchServer,
  unit: SimulatedUnit,
  chunks: string[],
  started: number,
): Promise<number[]> {
  const latencies: number[] = [];
  const ask = async (route: string, body: object) => {
    const sent = performance.now();
    const response = await fetch(`${server.deployment}/api/peers/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${unit.config.statusToken}` },
      body: JSON.stringify({ deploymentId: unit.config.deploymentId, ...body }),
    });
    if (response.status !== 200)
      throw new Error(`POST /api/peers/${route}: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
    latencies.push(performance.now() - sent);
  };
  // Units power on within the same two seconds, not in lockstep.
  await new Promise((resolve) => setTimeout(resolve, Math.random() * REPORT_EVERY_MS));
  let reported = 0;
  while (performance.now() - started < SECONDS * 1000) {
    const held = Math.min(CHUNKS, Math.floor(((performance.now() - started) / 1000) * CHUNKS_PER_SECOND));
    await ask('holdings', {
      address: unit.address,
      chunks: chunks.slice(reported, held),
      dropped: [],
      finished: false,
    });
    await ask('sources', { chunks: chunks.slice(held, held + SOURCES_AHEAD) });
    reported = held;
    await new Promise((resolve) => setTimeout(resolve, REPORT_EVERY_MS));
  }
  return latencies;
}

/** CPU seconds (user and system) the process has used, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // After "pid (comm) ": state is field 3, utime and stime are fields 14 and 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
}

import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigResponse, DeploymentDetailDto } from '@rpi-deploy/contracts';
import { uploadImage } from '@rpi-deploy/test-kit';
import type { BenchRow } from './main';
import { startServer } from './support';

const DEVICES = 200;
const INTERVAL_MS = 250;
/** downloading 5..100 in 20 steps, then verifying, customizing, success. */
const REPORTS = [
  ...Array.from({ length: 20 }, (_, i) => ({ status: 'downloading', progress: (i + 1) * 5 })),
  { status: 'verifying', progress: 100 },
  { status: 'customizing', progress: 100 },
  { status: 'success', progress: 100 },
];

/**
 * 200 simulated units doing config and then a status report every 250 ms through the whole
 * lifecycle, concurrently, against the real server on SQLite: latency of /api/status, errors,
 * and whether every acknowledged report is in the history.
 */
export async function deploymentsLoad(work: string): Promise<BenchRow[]> {
  const server = await startServer();
  try {
    const auth = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };
    const post = (path: string, body: unknown) =>
      fetch(`${server.management}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    await post('/api/venues', { code: 'LOAD', name: 'Load test' });
    await post('/api/venues/LOAD/karts', { from: 1, to: DEVICES });
    const file = join(work, 'load.img');
    writeFileSync(file, randomBytes(64 * 1024));
    await uploadImage(server.management, server.token, {
      filePath: file,
      product: 'KXP2',
      version: 'load',
      activate: true,
    });

    const latencies: number[] = [];
    let errors = 0;
    const acknowledged = new Map<string, number>();
    // Server CPU from when the last unit has its config: what the status reports alone cost.
    const serverPid = serverProcess();
    let configured = 0;
    let fromLastConfig = { cpu: NaN, reports: 0 };
    const unit = async (n: number) => {
      const serial = `40000000${n.toString(16).padStart(8, '0')}`;
      const mac = `02:10:00:00:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;
      const config = await fetch(`${server.deployment}/api/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ serial, mac, product: 'KXP2', venue: 'LOAD' }),
      });
      if (config.status !== 200) {
        errors += 1;
        return;
      }
      const { deploymentId, statusToken } = (await config.json()) as ConfigResponse;
      acknowledged.set(deploymentId, 0);
      if ((configured += 1) === DEVICES) fromLastConfig = { cpu: cpuMs(serverPid), reports: latencies.length };
      // Spread the units over the interval, as real ones would be.
      await new Promise((r) => setTimeout(r, Math.random() * INTERVAL_MS));
      for (const report of REPORTS) {
        const started = performance.now();
        const response = await fetch(`${server.deployment}/api/status`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${statusToken}` },
          body: JSON.stringify({ deploymentId, ...report, bytesDone: report.progress * 1000, bytesTotal: 100_000 }),
        });
        await response.arrayBuffer();
        const elapsed = performance.now() - started;
        latencies.push(elapsed);
        if (response.status === 200) acknowledged.set(deploymentId, acknowledged.get(deploymentId)! + 1);
        else errors += 1;
        await new Promise((r) => setTimeout(r, Math.max(0, INTERVAL_MS - elapsed)));
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: DEVICES }, (_, n) => unit(n)));
    const seconds = (performance.now() - started) / 1000;
    const cpuPerReport = (cpuMs(serverPid) - fromLastConfig.cpu) / (latencies.length - fromLastConfig.reports);

    let lost = 0;
    for (const [id, count] of acknowledged) {
      const detail = (await (
        await fetch(`${server.management}/api/deployments/${id}`, { headers: auth })
      ).json()) as DeploymentDetailDto;
      // One event from /api/config, then one per acknowledged report.
      lost += Math.max(0, count + 1 - detail.events.length);
    }
    // Reports while units still ask for their config (a batch powering up), and after.
    const steady = latencies.slice(fromLastConfig.reports).sort((a, b) => a - b);
    latencies.sort((a, b) => a - b);
    const percentileOf = (sorted: number[], p: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
    const percentile = (p: number) => percentileOf(latencies, p);
    const p99 = percentile(99);
    return [
      {
        suite: 'deployments load',
        case:
          `${DEVICES} units, report every ${INTERVAL_MS} ms, SQLite (${latencies.length} reports in ${seconds.toFixed(1)} s, ` +
          `server CPU ${Number.isNaN(cpuPerReport) ? 'n/a' : cpuPerReport.toFixed(2)} ms per report; ` +
          `once all units have their config: p50 ${percentileOf(steady, 50).toFixed(1)} ms, p99 ${percentileOf(steady, 99).toFixed(1)} ms)`,
        ours: `p50 ${percentile(50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
        baseline: `${errors} errors, ${lost} lost events`,
        ratio: 50 / p99,
        target: 'p99 < 50 ms, no error, no lost event (ratio = 50 ms / p99)',
        pass: p99 < 50 && errors === 0 && lost === 0,
      },
    ];
  } finally {
    await server.stop();
  }
}

/** The server this process started (our only node child), found in /proc; undefined off Linux. */
function serverProcess(): number | undefined {
  try {
    const child = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .find((pid) => {
        try {
          return statFields(Number(pid))[1] === String(process.pid);
        } catch {
          return false; // exited meanwhile
        }
      });
    return child === undefined ? undefined : Number(child);
  } catch {
    return undefined;
  }
}

/** Fields of /proc/<pid>/stat after the command name: state, ppid, ... */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU time of the process in ms (NaN when unknown); clock ticks are 100 Hz on Linux. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

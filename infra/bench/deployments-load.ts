import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigResponse, DeploymentDetailDto } from '@rpi-deploy/contracts';
import { startClusterNginx, uploadImage } from '@rpi-deploy/test-kit';
import type { BenchRow } from './main';
import { startBenchPostgres } from './postgres';
import { startServer, type BenchServer } from './support';

const INTERVAL_MS = 250;
/** Units power on one after another this far apart (a thousand in 5 s). */
const POWER_ON_MS = 5;
/** downloading 5..100 in 20 steps, then verifying, customizing, success. */
const REPORTS = [
  ...Array.from({ length: 20 }, (_, i) => ({ status: 'downloading', progress: (i + 1) * 5 })),
  { status: 'verifying', progress: 100 },
  { status: 'customizing', progress: 100 },
  { status: 'success', progress: 100 },
];

/** Where the simulated units and the bench's own management calls go. */
interface LoadTarget {
  management: string;
  deployment: string;
  token: string;
  /** The server processes, for their CPU time. */
  serverPids: number[];
  /** The rest of the stack (PostgreSQL, nginx): process trees, for their CPU time. */
  stack: Array<{ name: string; pid: number }>;
}

/**
 * Simulated units doing config and then a status report every 250 ms through the whole
 * lifecycle, concurrently, against real servers: latency of /api/status, errors, and whether
 * every acknowledged report is in the history. Three cases: 200 units on one instance on SQLite
 * (the embedded default), then 1000 units behind nginx (infra/nginx/rpi-deploy-cluster.conf) on
 * one PostgreSQL, first with one instance, then spread over two.
 */
export async function deploymentsLoad(work: string): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const { cases, units } = loadOptions();
  if (cases.has('sqlite')) {
    const server = await startServer();
    try {
      const target = { ...server, serverPids: [server.pid], stack: [] };
      const result = await runUnits(work, target, units ?? 200);
      rows.push(row(`${units ?? 200} units, report every ${INTERVAL_MS} ms, one instance on SQLite`, result, 50));
    } finally {
      await server.stop();
    }
  }
  const clusters = ([1, 2] as const).filter((instances) => cases.has(`pg${instances}`));
  if (clusters.length === 0) return rows;
  const postgres = await startBenchPostgres();
  try {
    for (const instances of clusters) {
      const servers: BenchServer[] = [];
      try {
        const env = { DATABASE_URL: await postgres.createDatabase() };
        // Both at once on the empty database, as the cluster's first start.
        servers.push(...(await Promise.all(Array.from({ length: instances }, () => startServer(env)))));
        const [a, b] = servers as [BenchServer, BenchServer?];
        const nginx = await startClusterNginx(b ? [a.ports, b.ports] : [a.ports]);
        try {
          const target = {
            ...nginx,
            token: a.token,
            serverPids: servers.map((s) => s.pid),
            stack: [
              { name: 'PostgreSQL', pid: postgres.pid },
              ...childPids(process.pid, 'nginx').map((pid) => ({ name: 'nginx', pid })),
            ],
          };
          const result = await runUnits(work, target, units ?? 1000);
          const label = instances === 1 ? 'one instance' : 'two instances';
          rows.push(
            row(
              `${units ?? 1000} units, report every ${INTERVAL_MS} ms, ${label} behind nginx on PostgreSQL`,
              result,
              100,
            ),
          );
        } finally {
          await nginx.stop();
        }
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
      }
    }
  } finally {
    await postgres.stop();
  }
  return rows;
}

/**
 * For profiling one case: BENCH_LOAD_CASES picks some of sqlite, pg1, pg2 (all by default) and
 * BENCH_LOAD_UNITS replaces the unit count of each (the figures are the defaults).
 */
function loadOptions(): { cases: Set<string>; units?: number } {
  const all = ['sqlite', 'pg1', 'pg2'];
  const cases = new Set((process.env['BENCH_LOAD_CASES'] ?? all.join(',')).split(',').map((c) => c.trim()));
  const unknown = [...cases].filter((c) => !all.includes(c));
  if (unknown.length > 0) throw new Error(`BENCH_LOAD_CASES: unknown ${unknown.join(', ')} (use ${all.join(', ')})`);
  const units = process.env['BENCH_LOAD_UNITS'] ? Number(process.env['BENCH_LOAD_UNITS']) : undefined;
  if (units !== undefined && !(Number.isInteger(units) && units > 0 && units <= 5000))
    throw new Error('BENCH_LOAD_UNITS: a whole number of units, 1 to 5000');
  return { cases, units };
}

interface LoadResult {
  latencies: number[];
  /** Latencies of /api/config, sorted. */
  configs: number[];
  /** Latencies once every unit had its config (a batch powering up is over). */
  steady: number[];
  seconds: number;
  errors: Map<string, number>;
  lost: number;
  /** Server CPU per status report (ms), all instances together, once every unit had its config. */
  serverCpuPerReport: number;
  /** The same for each part of the stack (servers, PostgreSQL, nginx, load generator). */
  stackCpuPerReport: Map<string, number>;
  /** Shares of the machine's cores over the run: the load generator (this process) and the servers. */
  generatorShare: number;
  serverShare: number;
}

async function runUnits(work: string, target: LoadTarget, devices: number): Promise<LoadResult> {
  const auth = { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' };
  const post = async (path: string, body: unknown) => {
    const answer = await fetch(`${target.management}${path}`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify(body),
    });
    if (answer.status >= 300) throw new Error(`POST ${path} answered ${answer.status}: ${await answer.text()}`);
  };
  // A kart pool holds at most 999 numbers: 500 units per venue.
  const venueOf = (n: number) => `LOA${'ABCDEFGHIJ'[Math.floor(n / 500)]}`;
  for (let first = 0; first < devices; first += 500) {
    await post('/api/venues', { code: venueOf(first), name: 'Load test' });
    await post(`/api/venues/${venueOf(first)}/karts`, { from: 1, to: Math.min(500, devices - first) });
  }
  const file = join(work, 'load.img');
  writeFileSync(file, randomBytes(64 * 1024));
  await uploadImage(target.management, target.token, {
    filePath: file,
    product: 'KXP2',
    version: 'load',
    activate: true,
  });

  const latencies: number[] = [];
  /** Failed requests by what went wrong: "config 409", "status 502", "status: fetch failed". */
  const errors = new Map<string, number>();
  const failed = (what: string) => errors.set(what, (errors.get(what) ?? 0) + 1);
  const acknowledged = new Map<string, number>();
  // Server CPU from when the last unit has asked for its config: what the status reports alone cost.
  let configured = 0;
  let fromLastConfig = { cpu: NaN, reports: 0, stack: new Map<string, number>() };
  /** CPU ms of each part of the stack so far, the load generator (this process) included. */
  const stackCpu = () => {
    const parts = new Map<string, number>([['servers', serversCpu()]]);
    for (const { name, pid } of target.stack) parts.set(name, (parts.get(name) ?? 0) + treeCpuMs(pid));
    const own = process.cpuUsage();
    return parts.set('load generator', (own.user + own.system) / 1000);
  };
  const serversCpu = () => target.serverPids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  /** How long each /api/config took, answered or not: the burst of a batch powering up. */
  const configLatencies: number[] = [];
  const configOf = async (n: number): Promise<ConfigResponse | undefined> => {
    const asked = performance.now();
    const serial = `40000000${n.toString(16).padStart(8, '0')}`;
    const mac = `02:10:00:00:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;
    try {
      const config = await fetch(`${target.deployment}/api/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ serial, mac, product: 'KXP2', venue: venueOf(n) }),
      });
      if (config.status === 200) return (await config.json()) as ConfigResponse;
      failed(`config ${config.status}`);
      await config.arrayBuffer();
    } catch (error) {
      failed(`config: ${(error as Error).message}`);
    } finally {
      configLatencies.push(performance.now() - asked);
      if ((configured += 1) === devices) {
        fromLastConfig = { cpu: serversCpu(), reports: latencies.length, stack: stackCpu() };
      }
    }
    return undefined;
  };
  const unit = async (n: number) => {
    // A batch is switched on over a few seconds, not in one instant: 5 ms per unit.
    await new Promise((r) => setTimeout(r, n * POWER_ON_MS));
    const config = await configOf(n);
    if (!config) return;
    const { deploymentId, statusToken } = config;
    acknowledged.set(deploymentId, 0);
    // Spread the units over the interval, as real ones would be.
    await new Promise((r) => setTimeout(r, Math.random() * INTERVAL_MS));
    for (const report of REPORTS) {
      const started = performance.now();
      try {
        const response = await fetch(`${target.deployment}/api/status`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${statusToken}` },
          body: JSON.stringify({ deploymentId, ...report, bytesDone: report.progress * 1000, bytesTotal: 100_000 }),
        });
        await response.arrayBuffer();
        if (response.status === 200) acknowledged.set(deploymentId, acknowledged.get(deploymentId)! + 1);
        else failed(`status ${response.status}`);
      } catch (error) {
        failed(`status: ${(error as Error).message}`);
      }
      const elapsed = performance.now() - started;
      latencies.push(elapsed);
      await new Promise((r) => setTimeout(r, Math.max(0, INTERVAL_MS - elapsed)));
    }
  };
  const generatorBefore = process.cpuUsage();
  const serversBefore = serversCpu();
  const started = performance.now();
  await Promise.all(Array.from({ length: devices }, (_, n) => unit(n)));
  const wallMs = performance.now() - started;
  const generator = process.cpuUsage(generatorBefore);
  const cores = 2;
  const generatorShare = (generator.user + generator.system) / 1000 / (wallMs * cores);
  const serverShare = (serversCpu() - serversBefore) / (wallMs * cores);
  const steadyReports = latencies.length - fromLastConfig.reports;
  const serverCpuPerReport = (serversCpu() - fromLastConfig.cpu) / steadyReports;
  const stackCpuPerReport = new Map(
    [...stackCpu()].map(([name, ms]) => [name, (ms - (fromLastConfig.stack.get(name) ?? NaN)) / steadyReports]),
  );

  let lost = 0;
  for (const [id, count] of acknowledged) {
    const detail = (await (
      await fetch(`${target.management}/api/deployments/${id}`, { headers: auth })
    ).json()) as DeploymentDetailDto;
    // One event from /api/config, then one per acknowledged report.
    lost += Math.max(0, count + 1 - detail.events.length);
  }
  const steady = latencies.slice(fromLastConfig.reports).sort((a, b) => a - b);
  latencies.sort((a, b) => a - b);
  return {
    latencies,
    configs: configLatencies.sort((a, b) => a - b),
    steady,
    seconds: wallMs / 1000,
    errors,
    lost,
    serverCpuPerReport,
    stackCpuPerReport,
    generatorShare,
    serverShare,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function row(what: string, result: LoadResult, targetP99: number): BenchRow {
  const { latencies, steady, errors, lost } = result;
  const p99 = percentile(latencies, 99);
  const errorCount = [...errors.values()].reduce((sum, count) => sum + count, 0);
  const errorKinds = [...errors].map(([what, count]) => `${count} x ${what}`).join(', ');
  const percent = (share: number) => `${(share * 100).toFixed(0)} %`;
  return {
    suite: 'deployments load',
    case:
      `${what} (${latencies.length} reports in ${result.seconds.toFixed(1)} s; of the 2 cores: load generator ` +
      `${percent(result.generatorShare)}, servers ${percent(result.serverShare)}; server CPU ` +
      `${Number.isNaN(result.serverCpuPerReport) ? 'n/a' : result.serverCpuPerReport.toFixed(2)} ms per report; ` +
      `once all units have their config: p50 ${percentile(steady, 50).toFixed(1)} ms, p99 ${percentile(steady, 99).toFixed(1)} ms; ` +
      `config: p50 ${percentile(result.configs, 50).toFixed(0)} ms, p99 ${percentile(result.configs, 99).toFixed(0)} ms, ` +
      `max ${(result.configs.at(-1) ?? NaN).toFixed(0)} ms; ${ceiling(result.stackCpuPerReport)})`,
    ours: `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${(latencies.at(-1) ?? NaN).toFixed(1)} ms`,
    baseline: `${errorCount} errors${errorKinds ? ` (${errorKinds})` : ''}, ${lost} lost events`,
    ratio: targetP99 / p99,
    target: `p99 < ${targetP99} ms, no error, no lost event (ratio = ${targetP99} ms / p99)`,
    pass: p99 < targetP99 && errorCount === 0 && lost === 0,
  };
}

/**
 * What the whole stack spends per report once all units have their config, and so how many
 * reports a second the 2 cores could carry at most (all of them busy with nothing else).
 */
function ceiling(perReport: Map<string, number>): string {
  const total = [...perReport.values()].reduce((sum, ms) => sum + ms, 0);
  const parts = [...perReport].map(([name, ms]) => `${name} ${ms.toFixed(2)}`).join(', ');
  return `whole stack ${total.toFixed(2)} ms CPU per report (${parts}): at most ${Math.floor(2000 / total)} reports/s on 2 cores`;
}

/** The processes `parent` started whose command is `command`. */
function childPids(parent: number, command: string): number[] {
  return processTable()
    .filter((p) => p.ppid === parent && p.command === command)
    .map((p) => p.pid);
}

/** CPU ms of a process and all its descendants, those already ended included (counted in their parents). */
function treeCpuMs(root: number): number {
  const table = processTable();
  const below = (pid: number): number[] => table.filter((p) => p.ppid === pid).map((p) => p.pid);
  let total = 0;
  for (let pids = [root]; pids.length > 0; pids = pids.flatMap(below)) {
    // One that ended since the listing is counted in its parent's children already (or just after).
    for (const pid of pids) total += cpuMs(pid, true) || 0;
  }
  return total;
}

function processTable(): Array<{ pid: number; ppid: number; command: string }> {
  const table = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      table.push({ pid: Number(entry), ppid, command });
    } catch {
      // Ended meanwhile.
    }
  }
  return table;
}

/** User + system CPU time of a process in ms (NaN when unknown); clock ticks are 100 Hz on Linux. */
function cpuMs(pid: number, withEndedChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const children = withEndedChildren ? Number(fields[13]) + Number(fields[14]) : 0;
    return (Number(fields[11]) + Number(fields[12]) + children) * 10;
  } catch {
    return NaN;
  }
}

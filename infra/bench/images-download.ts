import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { ConfigResponse, ImageDto } from '@rpi-deploy/contracts';
import { startDeploymentNginx, startStaticNginx, uploadImage } from '@rpi-deploy/test-kit';
import type { BenchRow } from './main';
import { run, startServer, type BenchServer } from './support';

const GiB = 1024 ** 3;
const CLIENT_COUNTS = [1, 8, 32];
const SECONDS = 6;
/** One status report at a time, this far apart, while the downloads run. */
const REPORT_INTERVAL_MS = 50;
const STATUS_P99_TARGET_MS = 100;

/**
 * Aggregate download throughput of a 2 GB image on loopback with 1, 8 and 32 concurrent
 * clients (curl) against nginx serving the very same file: our deployment listener on its own
 * (Node streams the file), and in production mode behind the shipped nginx config
 * (X-Accel-Redirect: the server looks the image up, nginx sends the bytes). While our server
 * sends the bytes itself, a unit reports its status every 50 ms: the latency of POST
 * /api/status under the download load, against the same reports with no download running.
 */
export async function imagesDownload(work: string): Promise<BenchRow[]> {
  const path = join(work, 'download.img');
  execFileSync('truncate', ['-s', String(2 * GiB), path]);
  // About a quarter of the image holds data, like a typical master image.
  execFileSync('dd', ['if=/dev/urandom', `of=${path}`, 'bs=4M', 'count=128', 'seek=16', 'conv=notrunc', 'status=none']);

  const server = await startServer();
  const nginx = await startStaticNginx(join(server.dataDir, 'images'));
  const accelServer = await startServer({ IMAGES_ACCEL_REDIRECT: '/_images/' });
  const front = await startDeploymentNginx(
    Number(new URL(accelServer.deployment).port),
    join(accelServer.dataDir, 'images'),
  );
  try {
    const image = await uploadImage(server.management, server.token, {
      filePath: path,
      product: 'KXP2',
      version: 'bench',
    });
    const accelImage = await uploadImage(accelServer.management, accelServer.token, {
      filePath: path,
      product: 'KXP2',
      version: 'bench',
    });
    const unit = await startUnit(server, image);
    const idle = await statusLatencies(server, unit, new Promise((r) => setTimeout(r, 2000)));
    const rows: BenchRow[] = [];
    for (const clients of CLIENT_COUNTS) {
      const baseline = await throughput(`${nginx.url}/${image.filename}`, clients);
      const modes: Array<[string, string]> = [
        ['Node', `${server.deployment}/images/${image.filename}`],
        ['nginx front (X-Accel)', `${front.url}/images/${accelImage.filename}`],
      ];
      for (const [mode, url] of modes) {
        const measured = throughput(url, clients);
        const latencies = mode === 'Node' ? await statusLatencies(server, unit, measured) : undefined;
        const ours = await measured;
        rows.push({
          suite: 'image download',
          case: `2 GiB image, ${clients} client(s), ${mode}`,
          ours: `${(ours / 1e6).toFixed(0)} MB/s`,
          baseline: `nginx ${(baseline / 1e6).toFixed(0)} MB/s`,
          ratio: ours / baseline,
          target: '>= 1250 MB/s and >= 0.5x nginx',
          pass: ours >= 1.25e9 && ours / baseline >= 0.5,
        });
        if (latencies) rows.push(statusRow(`${clients} download(s)`, latencies, idle));
      }
    }
    return rows;
  } finally {
    await Promise.all([nginx.stop(), front.stop()]);
    await Promise.all([server.stop(), accelServer.stop()]);
  }
}

/** Bytes per second over all clients, each downloading the file in a loop for SECONDS. */
async function throughput(url: string, clients: number): Promise<number> {
  const script =
    `end=$((SECONDS+${SECONDS})); total=0; while [ $SECONDS -lt $end ]; do ` +
    `n=$(curl -s -o /dev/null --max-time $((end-SECONDS)) -w '%{size_download}' '${url}'); total=$((total+\${n%.*})); done; echo $total`;
  const started = Date.now();
  const bytes = await Promise.all(Array.from({ length: clients }, () => run('bash', ['-c', script])));
  const seconds = (Date.now() - started) / 1000;
  return bytes.reduce((sum, text) => sum + Number(text.trim()), 0) / seconds;
}

interface Unit {
  deploymentId: string;
  statusToken: string;
}

/** One installer that got its config (so it may report status) for the image being downloaded. */
async function startUnit(server: BenchServer, image: ImageDto): Promise<Unit> {
  const post = async (base: string, path: string, body: unknown, token?: string) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  await post(server.management, '/api/venues', { code: 'BNCH', name: 'Bench' }, server.token);
  await post(server.management, '/api/venues/BNCH/karts', { from: 1, to: 9 }, server.token);
  await post(server.management, `/api/images/${image.id}/activate`, {}, server.token);
  const config = (await post(server.deployment, '/api/config', {
    serial: '10000000beec0001',
    mac: '02:00:00:be:0c:01',
    product: 'KXP2',
    venue: 'BNCH',
  })) as ConfigResponse;
  return { deploymentId: config.deploymentId, statusToken: config.statusToken };
}

/** Milliseconds of each POST /api/status, one every REPORT_INTERVAL_MS, until `during` settles. */
async function statusLatencies(server: BenchServer, unit: Unit, during: Promise<unknown>): Promise<number[]> {
  let running = true;
  void during.finally(() => (running = false));
  const latencies: number[] = [];
  for (let progress = 0; running; progress = (progress + 1) % 100) {
    const started = performance.now();
    const response = await fetch(`${server.deployment}/api/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${unit.statusToken}` },
      body: JSON.stringify({ deploymentId: unit.deploymentId, status: 'downloading', progress }),
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`status report answered ${response.status}`);
    const elapsed = performance.now() - started;
    latencies.push(elapsed);
    await new Promise((r) => setTimeout(r, Math.max(0, REPORT_INTERVAL_MS - elapsed)));
  }
  return latencies;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

function statusRow(load: string, latencies: number[], idle: number[]): BenchRow {
  const describe = (values: number[]) =>
    `p50 ${percentile(values, 50).toFixed(1)} ms, p99 ${percentile(values, 99).toFixed(1)} ms`;
  const p99 = percentile(latencies, 99);
  return {
    suite: 'image download',
    case: `POST /api/status during ${load}, Node (${latencies.length} reports)`,
    ours: describe(latencies),
    baseline: `idle ${describe(idle)}`,
    ratio: percentile(idle, 99) / p99,
    target: `p99 <= ${STATUS_P99_TARGET_MS} ms`,
    pass: p99 <= STATUS_P99_TARGET_MS,
  };
}

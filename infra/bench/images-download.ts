import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { ImageDto } from '@rpi-deploy/contracts';
import { uploadMultipart } from '../../server/src/cli/multipart-upload';
import { startDeploymentNginx, startStaticNginx } from '../test/support/nginx';
import type { BenchRow } from './main';
import { run, startServer } from './support';

const GiB = 1024 ** 3;
const CLIENT_COUNTS = [1, 8, 32];
const SECONDS = 6;

/**
 * Aggregate download throughput of a 2 GB image on loopback with 1, 8 and 32 concurrent
 * clients (curl) against nginx serving the very same file: our deployment listener on its own
 * (Node streams the file), and in production mode behind the shipped nginx config
 * (X-Accel-Redirect: the server looks the image up, nginx sends the bytes).
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
    const upload = await uploadMultipart({
      url: `${server.management}/api/images`,
      token: server.token,
      fields: { product: 'KXP2', version: 'bench' },
      filePath: path,
    });
    if (upload.status !== 201) throw new Error(`upload failed: ${JSON.stringify(upload.body)}`);
    const image = upload.body as ImageDto;
    const accelUpload = await uploadMultipart({
      url: `${accelServer.management}/api/images`,
      token: accelServer.token,
      fields: { product: 'KXP2', version: 'bench' },
      filePath: path,
    });
    const accelImage = accelUpload.body as ImageDto;
    const rows: BenchRow[] = [];
    for (const clients of CLIENT_COUNTS) {
      const baseline = await throughput(`${nginx.url}/${image.filename}`, clients);
      const modes: Array<[string, string]> = [
        ['Node', `${server.deployment}/images/${image.filename}`],
        ['nginx front (X-Accel)', `${front.url}/images/${accelImage.filename}`],
      ];
      for (const [mode, url] of modes) {
        const ours = await throughput(url, clients);
        rows.push({
          suite: 'image download',
          case: `2 GiB image, ${clients} client(s), ${mode}`,
          ours: `${(ours / 1e6).toFixed(0)} MB/s`,
          baseline: `nginx ${(baseline / 1e6).toFixed(0)} MB/s`,
          ratio: ours / baseline,
          target: '>= 1250 MB/s and >= 0.5x nginx',
          pass: ours >= 1.25e9 && ours / baseline >= 0.5,
        });
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

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { workspaceRoot } from '../workspace-root';
import { freePort } from './free-port';

export interface RunningNginx {
  url: string;
  stop(): Promise<void>;
}

/** Debian's nginx in the foreground with a throw-away prefix, serving `serverBlock` on `host` (loopback by default). */
async function startNginx(
  serverBlock: (port: number) => string,
  host = '127.0.0.1',
  chosenPort?: number,
): Promise<RunningNginx> {
  const port = chosenPort ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'rpi-nginx-'));
  const config = join(dir, 'nginx.conf');
  writeFileSync(
    config,
    [
      'daemon off;',
      'worker_processes 2;',
      'user root;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log warn;`,
      // A bench's thousand units hold a client and an upstream connection each.
      'worker_rlimit_nofile 16384;',
      'events { worker_connections 8192; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;`,
      `  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
      serverBlock(port),
      '}',
    ].join('\n'),
  );
  const child = spawn('nginx', ['-c', config, '-p', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const url = `http://${host}:${port}`;
  await new Promise<void>((done, fail) => {
    child.once('error', (error) =>
      fail(new Error(`cannot start nginx (${error.message}): bash infra/install-system-deps.sh`)),
    );
    child.once('exit', (code) => fail(new Error(`nginx exited with ${code}: ${stderr}`)));
    const poll = () =>
      fetch(url).then(
        () => done(),
        () => setTimeout(poll, 100),
      );
    poll();
  });
  child.removeAllListeners('exit');
  return {
    url,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGQUIT');
      }),
  };
}

/** nginx serving a folder as plain static files: the baseline of the download benchmark. */
export function startStaticNginx(root: string, host = '127.0.0.1'): Promise<RunningNginx> {
  return startNginx(
    (port) => `  sendfile on; tcp_nopush on;\n  server { listen ${host}:${port}; root ${root}; location / { } }`,
    host,
  );
}

/**
 * The shipped production config (infra/nginx/rpi-deploy-deployment.conf) in front of a running
 * server, with its ports and images and chunks folders (siblings) swapped for the test's.
 */
export function startDeploymentNginx(apiPort: number, imagesDir: string): Promise<RunningNginx> {
  const shipped = readFileSync(join(workspaceRoot(), 'infra/nginx/rpi-deploy-deployment.conf'), 'utf8');
  return startNginx((port) =>
    shipped
      .replace('server 127.0.0.1:5002;', `server 127.0.0.1:${apiPort};`)
      .replace(/^\s*listen 5001;/m, `    listen 127.0.0.1:${port};`)
      .replace('alias /var/lib/rpi-deploy/images/;', `alias ${imagesDir}/;`)
      .replace('alias /var/lib/rpi-deploy/chunks/;', `alias ${join(dirname(imagesDir), 'chunks')}/;`),
  );
}

export interface ClusterNginx extends RunningNginx {
  /** The management site (dashboards, API, live socket), plain HTTP here. */
  management: string;
  /** The deployment site the Pis use. */
  deployment: string;
}

/**
 * The shipped cluster config (infra/nginx/rpi-deploy-cluster.conf) in front of one or two running
 * instances: its placeholder addresses become the instances' loopback ports (with one instance the
 * second upstream server goes: nginx never marks a lone server down, as it would an instance
 * listed twice after a burst of timeouts), and its HTTPS site
 * plain HTTP on a loopback port (TLS in front of the server has its own system test). The Pis'
 * site listens on `deploymentPort` when given: the instances' DEPLOY_PUBLIC_URL names it.
 */
export async function startClusterNginx(
  instances:
    | [{ management: number; deployment: number }]
    | [{ management: number; deployment: number }, { management: number; deployment: number }],
  deploymentPort?: number,
): Promise<ClusterNginx> {
  const shipped = readFileSync(join(workspaceRoot(), 'infra/nginx/rpi-deploy-cluster.conf'), 'utf8');
  const [management, redirect] = [await freePort(), await freePort()];
  const replace = (text: string, from: string | RegExp, to: string) => {
    const next = text.replace(from, to);
    if (next === text) throw new Error(`infra/nginx/rpi-deploy-cluster.conf has no ${String(from)} any more`);
    return next;
  };
  const running = await startNginx(
    (deployment) => {
      let config = shipped;
      instances.forEach((ports, index) => {
        config = replace(config, `192.0.2.1${index + 1}:5000`, `127.0.0.1:${ports.management}`);
        config = replace(config, `192.0.2.1${index + 1}:5002`, `127.0.0.1:${ports.deployment}`);
      });
      if (instances.length === 1) config = replace(config, /^\s*server 192\.0\.2\.12:.*\n/gm, '');
      config = replace(config, /^\s*listen 80;/m, `    listen 127.0.0.1:${redirect};`);
      config = replace(config, /^\s*listen 443 ssl http2;/m, `    listen 127.0.0.1:${management};`);
      config = replace(config, /^\s*ssl_.*\n/gm, '');
      return replace(config, /^\s*listen 5001;/m, `    listen 127.0.0.1:${deployment};`);
    },
    '127.0.0.1',
    deploymentPort,
  );
  return { ...running, management: `http://127.0.0.1:${management}`, deployment: running.url };
}

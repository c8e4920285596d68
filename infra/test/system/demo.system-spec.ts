/**
 * `npm run demo` end to end, briefly: the bundled demo starts the built server, uploads a small
 * generated image and runs a few units with the real installer; the outcomes are read back from
 * the management API as the dashboard sees them. Needs the built server and installer
 * (`npx nx run-many -t build`, as npm test does first) and the Debian tools of the image fixture.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import type { BatchDto, DeploymentPage, ImageDto, LoginResponse, NetbootDeviceDto } from '@rpi-deploy/contracts';
import { freePort, workspaceRoot } from '@rpi-deploy/test-kit';

const ROOT = workspaceRoot();
const BUNDLE = join(ROOT, 'tmp/demo-test/main.js');
/** Tiny and fast: a 96 MiB image with 6 MiB of data at 8 MB/s per unit. */
const QUICK = ['--image-mib', '96', '--data-mib', '6', '--speed', '8', '--stagger', '0.5'];

interface DemoRun {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the output once it matches, fails if the demo exits first or time runs out. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  exit: Promise<number | null>;
  /** Ctrl-C as a test cleanup: SIGINT, and SIGKILL only if that did not end it. */
  ensureStopped: () => Promise<void>;
}

function startDemo(args: string[]): DemoRun {
  const child = spawn(process.execPath, [BUNDLE, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    output: () => output,
    exit,
    ensureStopped: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exit;
      clearTimeout(killer);
    },
    waitFor: (pattern, timeoutMs = 90_000) =>
      new Promise((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs);
        const check = () => {
          const match = pattern.exec(output);
          if (!match) return;
          clearTimeout(timer);
          listeners.delete(check);
          done(match);
        };
        listeners.add(check);
        void exit.then((code) => fail(new Error(`the demo exited with ${code} before ${pattern}:\n${output}`)));
        check();
      }),
  };
}

beforeAll(() => {
  for (const built of ['dist/server/main.js', 'dist/installer/pi-installer.js']) {
    if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: run "npx nx run-many -t build" first`);
  }
  // The same bundle as `npm run demo` makes, in tmp/ so it cannot disturb a build in dist/.
  buildSync({
    entryPoints: [join(ROOT, 'infra/demo/main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    outfile: BUNDLE,
  });
});

describe('npm run demo', () => {
  it('prints its options with --help and refuses a bad one', async () => {
    const help = startDemo(['--help']);
    expect(await help.exit).toBe(0);
    for (const option of [
      '--units',
      '--speed',
      '--fail-rate',
      '--mgmt-port',
      '--deploy-port',
      '--keep',
      '--exit-when-done',
    ]) {
      expect(help.output()).toContain(option);
    }
    const bad = startDemo(['--fail-rate', '2']);
    expect(await bad.exit).not.toBe(0);
    expect(bad.output()).toMatch(/--fail-rate.*a number from 0 to 1/);
  });

  it('runs a fleet whose units end as planned, keeps serving until Ctrl-C, then cleans up', async () => {
    const [mgmt, deploy] = [await freePort(), await freePort()];
    // 4 units, 2 failing and 1 flaky: unit 1 healthy, 2 card too small, 3 flaky link, 4 corrupt download.
    const demo = startDemo(
      [...QUICK, '--units', '4', '--fail-rate', '0.5', '--flaky-rate', '0.25'].concat([
        '--mgmt-port',
        String(mgmt),
        '--deploy-port',
        String(deploy),
      ]),
    );
    try {
      const [, work] = await demo.waitFor(/working folder (\S+)/);
      const [, username, password] = await demo.waitFor(/Log in as:\s+(\S+) \/ (\S+)/);
      expect(demo.output()).toContain(`Dashboard:  http://127.0.0.1:${mgmt}/`);
      await demo.waitFor(/press Ctrl-C to stop it/);
      expect(demo.output()).toContain('4 units: 2 success, 2 failed, every one as planned');
      expect(demo.output()).toMatch(/unit 03 KXP2-DEMO-\d{3}\s+link dropped after/);

      // The server is still up after the fleet: what the dashboard would show.
      const base = `http://127.0.0.1:${mgmt}`;
      const login = (await (
        await fetch(`${base}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password }),
        })
      ).json()) as LoginResponse;
      const get = async <T>(path: string) =>
        (await (
          await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${login.accessToken}` } })
        ).json()) as T;

      const { items } = await get<DeploymentPage>('/api/deployments?venue=DEMO&pageSize=100');
      const bySerial = (n: number) => items.filter((d) => d.serial === `d3e000005000000${n}`);
      for (const n of [1, 2, 3, 4]) expect(bySerial(n)).toHaveLength(1);
      const [healthy, tooSmall, flaky, corrupt] = [1, 2, 3, 4].map((n) => bySerial(n)[0]);
      expect(healthy).toMatchObject({ status: 'success', progress: 100, product: 'KXP2', venue: 'DEMO' });
      expect(healthy.hostname).toMatch(/^KXP2-DEMO-00[1-4]$/);
      expect(flaky).toMatchObject({ status: 'success', progress: 100 });
      expect(tooSmall.status).toBe('failed');
      expect(tooSmall.error).toMatch(/card too small/);
      expect(corrupt.status).toBe('failed');
      expect(corrupt.error).toMatch(/SHA-256|checksum/);
      expect(new Set(items.map((d) => d.hostname)).size).toBe(4);

      // Each unit netbooted first (dnsmasq log lines and the dhcp-script hook), linked to its install.
      const devices = await get<NetbootDeviceDto[]>('/api/netboot/devices');
      for (const deployment of [healthy, tooSmall, flaky, corrupt]) {
        expect(devices.find((device) => device.mac === deployment.mac)).toMatchObject({
          phase: 'installer',
          filesServed: 6,
          hostname: deployment.hostname,
          deploymentId: deployment.id,
        });
      }

      const images = await get<ImageDto[]>('/api/images');
      expect(images).toEqual([expect.objectContaining({ product: 'KXP2', version: 'demo-1.0.0', active: true })]);
      const batches = await get<BatchDto[]>('/api/batches');
      expect(batches).toEqual([expect.objectContaining({ venue: 'DEMO', product: 'KXP2', count: 4, assigned: 4 })]);

      demo.child.kill('SIGINT');
      expect(await demo.exit).toBe(0);
      expect(demo.output()).toContain('demo stopped');
      expect(existsSync(work)).toBe(false);
      await expect(fetch(`${base}/api/health`)).rejects.toThrow();
    } finally {
      await demo.ensureStopped();
    }
  }, 150_000);

  it('with --exit-when-done stops by itself and keeps the folder with --keep', async () => {
    const [mgmt, deploy] = [await freePort(), await freePort()];
    const demo = startDemo(
      [...QUICK, '--units', '2', '--fail-rate', '0', '--flaky-rate', '0', '--exit-when-done', '--keep'].concat([
        '--mgmt-port',
        String(mgmt),
        '--deploy-port',
        String(deploy),
      ]),
    );
    try {
      expect(await demo.exit).toBe(0);
      expect(demo.output()).toContain('2 units: 2 success, 0 failed, every one as planned');
      const work = /working folder (\S+)/.exec(demo.output())![1];
      expect(existsSync(join(work, 'data/server.log'))).toBe(true);
      expect(existsSync(join(work, 'units/unit-01.log'))).toBe(true);
      await expect(fetch(`http://127.0.0.1:${mgmt}/api/health`)).rejects.toThrow();
      rmSync(work, { recursive: true, force: true });
    } finally {
      await demo.ensureStopped();
    }
  }, 120_000);
});

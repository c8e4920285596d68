/**
 * Peers (issue 17) with real installer bundles (run by a Node with zstd) against the real server
 * on loopback, on SQLite and PostgreSQL: each unit serves its verified chunks on its own port and
 * the server's tracker suggests them. Chunks travel between units (the server's own byte counter
 * shows it), stand-in peers that serve a flipped byte or break off mid-transfer are caught,
 * reported on the timeline and excluded, `--no-peers` fetches from the server only, the tracker
 * takes no address but the reporting connection's own and nothing on the management side, and a
 * real peer installer killed (SIGKILL) with requests of its fetcher in flight costs that unit a
 * retry elsewhere (last: its units stay in the tracker for PEER_SILENCE_MS).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compress, decompress } from 'zstd-napi';
import type { ChunkManifest, ConfigResponse, DeploymentDetailDto } from '@rpi-deploy/contracts';
import { uploadImage, zstdNode } from '@rpi-deploy/test-kit';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from '../../server/test/support/test-server';
import { testDatabases } from '../../server/test/support/test-databases';
import { differingBlocks } from './support/card-checks';
import { buildInstallFixture, makeCard, type InstallFixture } from './support/install-fixture';
import { BUNDLE, type InstallerRun } from './support/run-installer';

jest.setTimeout(300_000);

let fixture: InstallFixture;
let node24: string;

beforeAll(() => {
  node24 = zstdNode();
  fixture = buildInstallFixture('peers', { randomDataMiB: 24 });
});
afterAll(() => fixture?.remove());

interface Unit {
  child: ChildProcess;
  output: () => string;
  done: Promise<InstallerRun>;
}

describe.each(testDatabases())('peers on $name', (database) => {
  let t: TestServer;
  let token: string;
  let manifest: ChunkManifest;
  let serial = 0x1000;

  const unitId = () => {
    serial += 1;
    const hex = serial.toString(16).padStart(4, '0');
    return { serial: `10000000abcd${hex}`, mac: `d8:3a:dd:00:${hex.slice(0, 2)}:${hex.slice(2)}` };
  };

  function startUnit(card: string, ...extra: string[]): Unit {
    const id = unitId();
    const args = [BUNDLE, '--server', t.deployment, '--device', card, '--serial', id.serial, '--mac', id.mac];
    args.push('--product', 'RXP2', '--venue', 'CORO', '--no-reboot', '--retry-delay', '0.05');
    const child = spawn(node24, [...args, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (piece: Buffer) => (output += piece.toString('utf8')));
    child.stderr?.on('data', (piece: Buffer) => (output += piece.toString('utf8')));
    const done = new Promise<InstallerRun>((resolve) =>
      child.on('close', (code) => resolve({ code, stdout: output, stderr: '', output })),
    );
    return { child, output: () => output, done };
  }

  async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function expectSuccess(unit: Unit, card: string): Promise<void> {
    const run = await unit.done;
    if (run.code !== 0) throw new Error(`installer exited ${run.code}:\n${run.output}`);
    const diff = differingBlocks(card, fixture.image);
    expect(diff.outsidePartitions).toEqual([]);
    expect(diff.inside).toBeLessThan(64);
  }

  /** Chunk bytes the deployment listener sent (the server's own counter). */
  async function serverChunkBytes(): Promise<number> {
    const text = await (
      await fetch(`${t.management}/metrics`, { headers: { authorization: `Bearer ${token}` } })
    ).text();
    const line = text
      .split('\n')
      .find((row) => row.startsWith('rpi_deploy_served_bytes_total') && row.includes('kind="chunk"'));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  beforeAll(async () => {
    t = await bootTestServer({ DATABASE_URL: await database.create() });
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await api(t.management, '/api/venues', { method: 'POST', token, body: { code: 'CORO', name: 'Corona' } });
    await uploadImage(t.management, token, {
      filePath: fixture.forms.xz.path,
      product: 'RXP2',
      version: '1.0.0',
      activate: true,
    });
    const config = await configure();
    manifest = (await (await fetch(config.image.manifestUrl as string)).json()) as ChunkManifest;
  });
  afterAll(async () => {
    await t?.close();
    await database.dropAll();
  });

  /** A deployment of our own, as a unit would get it (for the stand-in peers and the checks). */
  async function configure(): Promise<ConfigResponse> {
    const id = unitId();
    const response = await fetch(`${t.deployment}/api/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...id, product: 'RXP2', venue: 'CORO' }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as ConfigResponse;
  }

  function peerPost(config: ConfigResponse, route: string, body: object, base = t.deployment) {
    return fetch(`${base}/api/peers/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${config.statusToken}` },
      body: JSON.stringify({ deploymentId: config.deploymentId, ...body }),
    });
  }

  it('a finished unit seeds: the next units take their chunks from it, not from the server', async () => {
    const cards = ['a', 'b', 'c'].map((name) =>
      makeCard(fixture.dir, `seed-${name}-${database.name}.card`, 128 << 20, 'used'),
    );
    const before = await serverChunkBytes();
    const a = startUnit(cards[0], '--peer-listen', '127.0.0.1:0', '--seed-seconds', '120');
    // B and C register with the tracker, then wait (stopped) until A has everything.
    const waiting = cards.slice(1).map((card) => startUnit(card, '--peer-listen', '127.0.0.1:0'));
    for (const unit of waiting) {
      await until('a unit to register', () => unit.output().includes('advertised as 127.0.0.1:'));
      unit.child.kill('SIGSTOP');
    }
    await until('A to finish and seed', () => a.output().includes('peers: seeding'), 120_000);
    const alone = (await serverChunkBytes()) - before;
    for (const unit of waiting) unit.child.kill('SIGCONT');
    await Promise.all([a, ...waiting].map((unit, i) => expectSuccess(unit, cards[i])));

    const total = (await serverChunkBytes()) - before;
    // Without peers three units would draw 3x what A drew alone.
    expect(total).toBeLessThan(alone * 1.5);
    for (const unit of waiting) {
      const serialTail = /deployment ([0-9a-f-]{36})/.exec(unit.output())?.[1] as string;
      const detail = (await api(t.management, `/api/deployments/${serialTail}`, { token })).body as DeploymentDetailDto;
      expect(detail.bytesFromPeers).toBeGreaterThan(0);
      expect(detail.bytesFromServer! + detail.bytesFromPeers!).toBe(detail.transfer!.bytesFetched);
      expect(detail.transfer!.bytesFromPeers).toBe(detail.bytesFromPeers);
    }
  });

  it('peers that serve a flipped byte or break off are reported, excluded, and the card is still exact', async () => {
    const frames = new Map<string, Buffer>();
    for (const chunk of manifest.chunks) {
      frames.set(
        chunk.sha256,
        Buffer.from(await (await fetch(`${manifest.chunkBaseUrl}/${chunk.sha256}.zst`)).arrayBuffer()),
      );
    }
    const servers: Server[] = [];
    const standIn = async (behave: (frame: Buffer, respond: import('node:http').ServerResponse) => void) => {
      const server = createServer((request, response) => {
        const sha = /^\/chunks\/([0-9a-f]{64})\.zst$/.exec(request.url ?? '')?.[1];
        const frame = sha && frames.get(sha);
        if (!frame) return void response.writeHead(404).end();
        behave(frame, response);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      const config = await configure();
      const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      const report = () => peerPost(config, 'holdings', { address, chunks: manifest.chunks.map((c) => c.sha256) });
      expect((await report()).status).toBe(200);
      return { config, report };
    };
    // A frame that decodes to the chunk with one byte flipped: only the digest can tell.
    const flipper = await standIn((frame, response) => {
      const data = decompress(frame);
      data[data.length >> 1] ^= 0x01;
      response.writeHead(200).end(compress(data));
    });
    const vanisher = await standIn((frame, response) => {
      response.writeHead(200, { 'content-length': frame.length });
      response.write(frame.subarray(0, frame.length >> 1), () => response.socket?.destroy());
    });
    try {
      const card = makeCard(fixture.dir, `faults-${database.name}.card`, 128 << 20, 'used');
      const unit = startUnit(card, '--peer-listen', '127.0.0.1:0', '--seed-seconds', '0');
      await expectSuccess(unit, card);
      expect(unit.output()).toMatch(/failed on chunk [0-9a-f]{64} \(wrong chunk/);
      expect(unit.output()).toMatch(/failed on chunk [0-9a-f]{64} \(no answer/);

      const id = /deployment ([0-9a-f-]{36})/.exec(unit.output())?.[1] as string;
      const detail = (await api(t.management, `/api/deployments/${id}`, { token })).body as DeploymentDetailDto;
      const faults = detail.events.filter((event) => event.kind === 'peer_fault').map((event) => event.message);
      expect(faults.length).toBeGreaterThanOrEqual(2);
      expect(faults.join('\n')).toContain(flipper.config.hostname);
      expect(faults.join('\n')).toContain(vanisher.config.hostname);
      const culprit = (await api(t.management, `/api/deployments/${flipper.config.deploymentId}`, { token }))
        .body as DeploymentDetailDto;
      expect(culprit.events.some((event) => event.kind === 'peer_fault')).toBe(true);
      // Both are excluded: their reports are ignored and they are never suggested again.
      for (const peer of [flipper, vanisher])
        expect(await (await peer.report()).json()).toMatchObject({ excluded: true });
      const asker = await configure();
      const sources = await (await peerPost(asker, 'sources', { chunks: [manifest.chunks[0].sha256] })).json();
      expect(sources).toEqual({ sources: {} });
    } finally {
      for (const server of servers) server.close();
    }
  });

  it('--no-peers fetches from the server only and serves nothing', async () => {
    const card = makeCard(fixture.dir, `nopeers-${database.name}.card`, 128 << 20, 'used');
    const before = await serverChunkBytes();
    const unit = startUnit(card, '--no-peers');
    await expectSuccess(unit, card);
    expect(unit.output()).not.toContain('peers:');
    const id = /deployment ([0-9a-f-]{36})/.exec(unit.output())?.[1] as string;
    const detail = (await api(t.management, `/api/deployments/${id}`, { token })).body as DeploymentDetailDto;
    expect(detail.bytesFromPeers).toBe(0);
    expect(detail.bytesFromServer).toBe(detail.transfer!.bytesFetched);
    expect((await serverChunkBytes()) - before).toBe(manifest.chunks.reduce((sum, c) => sum + c.storedSize, 0));
  });

  it("takes peer addresses only from the deployment listener, and only the reporting connection's own", async () => {
    const config = await configure();
    const chunks = [manifest.chunks[0].sha256];
    // The management listener has no tracker.
    expect((await peerPost(config, 'holdings', { address: '127.0.0.1:5003', chunks }, t.management)).status).toBe(404);
    for (const address of ['10.9.8.7:5003', '224.0.0.1:5003', '[::1]:5003', 'deploy.example:5003', '127.0.0.1:0']) {
      const refused = await peerPost(config, 'holdings', { address, chunks });
      expect(refused.status).toBe(400);
    }
    expect((await peerPost(config, 'holdings', { address: '127.0.0.1:5003', chunks: ['nothex'] })).status).toBe(400);
    const wrongToken = await fetch(`${t.deployment}/api/peers/sources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
      body: JSON.stringify({ deploymentId: config.deploymentId, chunks }),
    });
    expect(wrongToken.status).toBe(403);
    // Nothing refused was stored: nobody is suggested.
    const asker = await configure();
    expect(await (await peerPost(asker, 'sources', { chunks })).json()).toEqual({ sources: {} });
    // The accepted address is handed out as it came.
    expect((await peerPost(config, 'holdings', { address: '127.0.0.1:5003', chunks })).status).toBe(200);
    expect(await (await peerPost(asker, 'sources', { chunks })).json()).toEqual({
      sources: { [chunks[0]]: ['http://127.0.0.1:5003'] },
    });
  });

  /** Receive queues (bytes arrived, not yet read) of this machine's TCP connections to `port` (ss, iproute2). */
  function receiveQueuesTo(port: number): number[] {
    const lines = execFileSync('ss', ['-tnH', 'state', 'established', `( dport = :${port} )`], { encoding: 'utf8' });
    return lines
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => Number(line.trim().split(/\s+/)[0]));
  }

  it('a real peer installer killed (SIGKILL) mid-transfer costs the unit fetching from it a retry elsewhere', async () => {
    const cards = ['seed', 'fetch'].map((name) =>
      makeCard(fixture.dir, `kill-${name}-${database.name}.card`, 128 << 20, 'used'),
    );
    const a = startUnit(cards[0], '--peer-listen', '127.0.0.1:0', '--seed-seconds', '300');
    const b = startUnit(cards[1], '--peer-listen', '127.0.0.1:0');
    try {
      // B registers, then waits (stopped) until A has everything and seeds for it.
      await until('B to register', () => b.output().includes('advertised as 127.0.0.1:'));
      b.child.kill('SIGSTOP');
      await until('A to finish and seed', () => a.output().includes('peers: seeding'), 120_000);
      const port = Number(/advertised as 127\.0\.0\.1:(\d+)/.exec(a.output())?.[1]);
      // Staged so that A dies with B's requests to it in flight, after it has served B some chunks:
      // A is frozen while B asks it (the kernel takes B's connections and requests), B is frozen
      // while A answers, A is frozen again while B reads those answers and asks for the next
      // chunks, and A is killed with those requests unanswered (the kernel resets the connections).
      a.child.kill('SIGSTOP');
      b.child.kill('SIGCONT');
      await until('B to ask A', () => receiveQueuesTo(port).length > 0, 30_000);
      b.child.kill('SIGSTOP');
      a.child.kill('SIGCONT');
      await until('the answers of A to reach B', () => receiveQueuesTo(port).some((queued) => queued > 0));
      await new Promise((resolve) => setTimeout(resolve, 300));
      a.child.kill('SIGSTOP');
      b.child.kill('SIGCONT');
      await until('B to read the answers', () => receiveQueuesTo(port).every((queued) => queued === 0));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      a.child.kill('SIGKILL');
      expect((await a.done).code).toBeNull();

      await expectSuccess(b, cards[1]);
      // A request in flight when A died: reset, not refused (that would be a later one).
      expect(b.output()).toMatch(
        new RegExp(
          `peers: http://127\\.0\\.0\\.1:${port} failed on chunk [0-9a-f]{64} \\(no answer: (read ECONNRESET|socket hang up)`,
        ),
      );
      const seeder = /deployment ([0-9a-f-]{36})/.exec(a.output())?.[1] as string;
      const seederHostname = (
        (await api(t.management, `/api/deployments/${seeder}`, { token })).body as DeploymentDetailDto
      ).hostname;
      const fetcher = /deployment ([0-9a-f-]{36})/.exec(b.output())?.[1] as string;
      const detail = (await api(t.management, `/api/deployments/${fetcher}`, { token })).body as DeploymentDetailDto;
      const faults = detail.events.filter((event) => event.kind === 'peer_fault').map((event) => event.message);
      expect(faults.join('\n')).toContain(`${seederHostname} (http://127.0.0.1:${port})`);
      // B took chunks from A before it died, the rest from elsewhere (the server), and the counts add up.
      expect(detail.bytesFromPeers).toBeGreaterThan(0);
      expect(detail.bytesFromServer).toBeGreaterThan(0);
      expect(detail.bytesFromServer! + detail.bytesFromPeers!).toBe(detail.transfer!.bytesFetched);
      // A is never suggested again.
      const asker = await configure();
      const sources = await (await peerPost(asker, 'sources', { chunks: manifest.chunks.map((c) => c.sha256) })).json();
      expect(JSON.stringify(sources)).not.toContain(`:${port}`);
    } finally {
      for (const unit of [a, b]) {
        unit.child.kill('SIGCONT');
        unit.child.kill('SIGKILL');
      }
    }
  });
});

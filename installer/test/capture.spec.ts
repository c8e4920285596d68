/**
 * Capture end to end: a reference card (Pi-OS-shaped, 30% of its root data deleted after use)
 * read by the real bundle in capture mode and stored by the real server, over a link that drops
 * the stream once; then a unit installed from the captured version.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_BLOCK_SIZE, type ImageDto } from '@rpi-deploy/contracts';
import { buildReferenceCard, sha256File, type ReferenceCard } from '@rpi-deploy/test-kit';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from '../../server/test/support/test-server';
import { ext4Tree } from './support/card-checks';
import { FaultProxy } from './support/fault-proxy';
import { installerArgs, makeCard, UNIT } from './support/install-fixture';
import { BUNDLE, expectExit, runInstaller, type InstallerRun } from './support/run-installer';
import { makeWorkDir } from './support/work-dir';

jest.setTimeout(300_000);

/** What an install changes on purpose; every other file of the root file system must match. */
const PERSONALISED = /^\.\/(etc\/(hostname|hosts|machine-id|ssh\/ssh_host_.*)|var\/lib\/dbus\/machine-id)$/;

/** The bundle under strace, so the test sees every open of the card and its flags. */
function runTraced(args: string[], trace: string): Promise<InstallerRun> {
  return new Promise((done, fail) => {
    const child = spawn('strace', [
      '-f',
      '-qq',
      '-e',
      'trace=open,openat',
      '-o',
      trace,
      process.execPath,
      BUNDLE,
      ...args,
    ]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error) => fail(new Error(`strace is needed to watch the card's opens: ${error.message}`)));
    child.on('close', (code) => done({ code, stdout, stderr, output: `${stdout}\n${stderr}` }));
  });
}

/** Path to SHA-256 of every file, from `sha256sum` lines. */
function hashes(tree: string): Map<string, string> {
  return new Map(
    tree
      .trim()
      .split('\n')
      .map((line) => {
        const [hash, path] = line.split(/\s+/, 2);
        return [path as string, hash as string];
      }),
  );
}

describe('capture mode with the real bundle and the real server', () => {
  const work = makeWorkDir('capture');
  let card: ReferenceCard;
  let t: TestServer;
  let proxy: FaultProxy;
  let token: string;

  beforeAll(async () => {
    card = buildReferenceCard(work.path, { sizeMiB: 160, randomDataMiB: 24, deletedFraction: 0.3 });
    t = await bootTestServer();
    proxy = await FaultProxy.start();
    proxy.upstream = t.deployment;
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await api(t.management, '/api/venues', { method: 'POST', token, body: { code: 'CORO', name: 'Corona' } });
  });
  afterAll(async () => {
    await proxy?.stop();
    await t?.close();
    work.remove();
  });

  it('stores the card as the marked version without writing to it, resuming after a dropped connection', async () => {
    const before = { sha256: sha256File(card.path), mtimeMs: statSync(card.path).mtimeMs };
    const marked = await api(t.management, `/api/netboot/units/${UNIT.serial}/capture`, {
      method: 'PUT',
      token,
      body: { product: 'RXP2', version: '2.0-captured' },
    });
    expect(marked.status).toBe(200);
    proxy.cutPutsAfter.push(5 << 20);

    const trace = join(work.path, 'capture.strace');
    const run = await runTraced(installerArgs({ url: proxy.url }, card.path, '--capture'), trace);
    expectExit(run, 0);
    expect(run.output).toContain('capture stream interrupted');
    expect(proxy.cutPuts).toEqual([5 << 20]);

    // The card: never opened for writing, and byte for byte what it was.
    const opens = readFileSync(trace, 'utf8')
      .split('\n')
      .filter((line) => line.includes(`"${card.path}"`));
    expect(opens.length).toBeGreaterThan(0);
    for (const open of opens) expect(open).not.toMatch(/O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/);
    expect({ sha256: sha256File(card.path), mtimeMs: statSync(card.path).mtimeMs }).toEqual(before);

    const images = (await api(t.management, '/api/images?product=RXP2', { token })).body as ImageDto[];
    const captured = images.find((image) => image.version === '2.0-captured');
    expect(captured).toMatchObject({ capturedFrom: UNIT.serial, active: false, size: card.size });
    // The mark is used up: the unit's next netboot installs again.
    expect((await api(t.management, '/api/netboot/captures', { token })).body).toEqual([]);

    // The deleted files' blocks are not in the stored block map.
    const bmap = (await api(t.deployment, `/images/${captured!.filename}.bmap`)).body as string;
    const mapped = [...bmap.matchAll(/<Range chksum="[0-9a-f]{64}">\s*(\d+)(?:-(\d+))?\s*<\/Range>/g)].map(
      ([, first, last]) => ({ first: Number(first), last: Number(last ?? first) }),
    );
    const rootStart = card.partitions.root.startBytes;
    const deleted = card.deletedBlocks.map((block) => Math.floor((rootStart + block * 4096) / IMAGE_BLOCK_SIZE));
    expect(deleted.length).toBeGreaterThan(0);
    expect(deleted.filter((block) => mapped.some((range) => block >= range.first && block <= range.last))).toEqual([]);
  });

  it('installs a unit from the captured version with the same files as the reference card', async () => {
    const images = (await api(t.management, '/api/images?product=RXP2', { token })).body as ImageDto[];
    const captured = images.find((image) => image.version === '2.0-captured')!;
    expect((await api(t.management, `/api/images/${captured.id}/activate`, { method: 'POST', token })).status).toBe(
      200,
    );
    const target = makeCard(work.path, 'installed.card', card.size, 'used');

    const run = await runInstaller(
      installerArgs({ url: t.deployment }, target, '--product', 'RXP2', '--venue', 'CORO'),
      180_000,
    );
    expectExit(run, 0);

    const root = card.partitions.root.startBytes;
    const reference = hashes(ext4Tree(card.path, root, join(work.path, 'reference-tree')));
    const installed = hashes(ext4Tree(target, root, join(work.path, 'installed-tree')));
    const kept = [...reference].filter(([path]) => !PERSONALISED.test(path));
    expect(kept.length).toBeGreaterThan(2);
    expect(kept.filter(([path, hash]) => installed.get(path) !== hash)).toEqual([]);
  });
});

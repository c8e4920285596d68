/**
 * The chunked install (issue 16) with the real bundle run by a Node that has zstd (Node 24 LTS,
 * packed from the npm registry: the test-kit's zstdNode), against the contract stand-in server
 * serving a manifest and zstd chunks cut from a real Pi-OS-shaped image: fresh installs, damaged
 * and missing chunks, a manifest that disagrees with the configuration, delta re-imaging from one
 * version to the next, and the fallback on a Node without zstd.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { readExt4File, sha256File, writeBlockMap, zstdNode, type PiOsImage } from '@rpi-deploy/test-kit';
import { CHUNK_PROBE_BYTES, type ChunkPatch, type ImageChunk } from '@rpi-deploy/contracts';
import { differingBlocks, expectSuccessfulTrail } from './support/card-checks';
import { addPatches, buildChunkStore, type ChunkStore } from './support/chunk-store';
import { ContractServer, type ServedImage } from './support/contract-server';
import {
  buildInstallFixture,
  installerArgs,
  makeCard,
  servedImage,
  type InstallFixture,
} from './support/install-fixture';
import { expectExit, runInstaller, type InstallerRun } from './support/run-installer';

jest.setTimeout(180_000);

const MiB = 1 << 20;

let fixture: InstallFixture;
let node24: string;
let versionN: ServedImage & { chunks: ChunkStore };
let server: ContractServer | undefined;

beforeAll(() => {
  node24 = zstdNode();
  // More file data than the default, so that chunks of data outnumber those personalisation touches.
  fixture = buildInstallFixture('chunked', { randomDataMiB: 24 });
  versionN = {
    ...servedImage(fixture, 'raw', { withBlockMap: true }),
    chunks: buildChunkStore(fixture.image.path, fixture.bmap, join(fixture.dir, 'store')),
  };
});
afterAll(() => fixture?.remove());
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

function install(card: string, node = node24): Promise<InstallerRun> {
  return runInstaller(installerArgs(server as ContractServer, card), 120_000, node);
}

/** The SHA-256 of each chunk requested, in request order. */
function chunkGets(contract: ContractServer): string[] {
  return contract.imageRequests
    .filter((request) => request.method === 'GET' && request.path.startsWith('/chunks/'))
    .map((request) => request.path.slice('/chunks/'.length, -'.zst'.length));
}

/** Bytes the installer read from the card to find the chunks it holds, as it logs them. */
function surveyed(run: InstallerRun): number {
  const found = /the card holds \d+ already \(read .*\((\d+) bytes\) in /.exec(run.output);
  if (!found) throw new Error(`the installer did not say what it read from the card:\n${run.output}`);
  return Number(found[1]);
}

function probeOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

function readCard(card: string, start: number, length: number): Buffer {
  const fd = openSync(card, 'r');
  try {
    const data = Buffer.alloc(length);
    readSync(fd, data, 0, length, start);
    return data;
  } finally {
    closeSync(fd);
  }
}

/** The card holds `image` (personalised): only a few blocks inside its partitions differ. */
function expectImageOnCard(card: string, image: PiOsImage): void {
  const diff = differingBlocks(card, image);
  expect(diff.outsidePartitions).toEqual([]);
  expect(diff.inside).toBeGreaterThan(0);
  expect(diff.inside).toBeLessThan(64);
}

/** A chunk of the root file system's data, well past the partition table. */
function dataChunk(store: ChunkStore): ImageChunk {
  const root = fixture.image.partitions.root.startBytes;
  return store.chunks.filter((chunk) => chunk.offset > root && chunk.length === MiB).at(-3) as ImageChunk;
}

describe('installing from chunks (Node 24 with zstd)', () => {
  it('gives a card of random data a full install from the chunks, byte for byte, each fetched once, and says what it moved', async () => {
    server = await ContractServer.start({ image: versionN });
    const card = makeCard(fixture.dir, 'fresh.card', 128 * MiB, 'used');

    const run = await install(card);

    expectExit(run, 0);
    const deployment = [...server.deployments.values()][0];
    const reports = expectSuccessfulTrail(server.reports, deployment.id, deployment.token);
    expectImageOnCard(card, fixture.image);
    const chunks = versionN.chunks.chunks;
    expect(chunkGets(server).sort()).toEqual(chunks.map((chunk) => chunk.sha256).sort());
    // Nothing of the image itself travels: the block map, the manifest and the chunks.
    expect(server.imageRequests.filter((request) => request.path.endsWith('.img'))).toEqual([]);
    const counts = `0 of ${chunks.length} chunks reused from the card`;
    expect(run.output).toContain(counts);
    expect(reports.at(-1)?.message).toContain(counts);
    // No probe matches random data: the survey read 4 KiB per chunk, not the chunks' ranges.
    expect(surveyed(run)).toBe(chunks.reduce((sum, chunk) => sum + Math.min(chunk.length, CHUNK_PROBE_BYTES), 0));
    expect(run.output).not.toContain('has no zstd');
    const [, fetched, written] = /chunks: .*\((\d+) bytes\) fetched, .*\((\d+) bytes\) written/.exec(run.output) ?? [];
    expect(Number(fetched)).toBe(chunks.reduce((sum, chunk) => sum + chunk.storedSize, 0));
    const pastHead = chunks.reduce(
      (sum, chunk) => sum + Math.max(0, chunk.offset + chunk.length - Math.max(chunk.offset, MiB)),
      0,
    );
    expect(Number(written)).toBe(pastHead + MiB);
    expect(reports.at(-1)?.transfer).toEqual({
      bytesFetched: Number(fetched),
      // This stand-in server has no tracker: every byte came from it.
      bytesFromPeers: 0,
      bytesWritten: Number(written),
      chunksReused: 0,
      chunksTotal: chunks.length,
    });
    const downloading = reports.filter((report) => report.status === 'downloading' && report.bytesTotal);
    expect(downloading.at(-1)?.bytesTotal).toBe(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  });

  it('fetches damaged chunks again and never writes them', async () => {
    server = await ContractServer.start({ image: versionN });
    const [first, second] = [dataChunk(versionN.chunks), versionN.chunks.chunks[3]];
    server.faults.badChunks.set(first.sha256, { times: 2, how: 'content' });
    server.faults.badChunks.set(second.sha256, { times: 1, how: 'frame' });
    const card = makeCard(fixture.dir, 'damaged.card', 96 * MiB, 'used');

    const run = await install(card);

    expectExit(run, 0);
    expectImageOnCard(card, fixture.image);
    expect(chunkGets(server).filter((sha) => sha === first.sha256)).toHaveLength(3);
    expect(chunkGets(server).filter((sha) => sha === second.sha256)).toHaveLength(2);
    expect(run.output).toMatch(
      /chunk \d+ of \d+ .* arrives with \d+ bytes of SHA-256 [0-9a-f]{64}, not its name; fetching it again \(1 of 3\)/,
    );
    expect(run.output).toMatch(/does not decode .*; fetching it again \(1 of 3\)/);
  });

  it('fails clearly when a chunk stays damaged, and its bytes never reach the card', async () => {
    server = await ContractServer.start({ image: versionN });
    const bad = dataChunk(versionN.chunks);
    server.faults.badChunks.set(bad.sha256, { times: 99, how: 'content' });
    const card = makeCard(fixture.dir, 'bad.card', 96 * MiB, 'used');

    const run = await install(card);

    expectExit(run, 1);
    expect(run.output).toContain(`${bad.sha256}.zst) is damaged: after 3 downloads it still arrives with`);
    expect(run.output).toContain('none of it was written to the card');
    expect([...server.reports].at(-1)?.report).toMatchObject({ status: 'failed' });
    expect(chunkGets(server).filter((sha) => sha === bad.sha256)).toHaveLength(3);
    // The card was prepared (emptied) and the chunk's range never written: zeros, not the damaged bytes.
    expect(readCard(card, bad.offset, bad.length).equals(Buffer.alloc(bad.length))).toBe(true);
    expect(readCard(card, 0, MiB).equals(Buffer.alloc(MiB))).toBe(true); // no partition table: it does not boot
  });

  it('fails clearly when a chunk is missing from the store (404)', async () => {
    server = await ContractServer.start({ image: versionN });
    const missing = dataChunk(versionN.chunks);
    server.faults.missingChunks.add(missing.sha256);
    const card = makeCard(fixture.dir, 'missing.card', 96 * MiB, 'used');

    const run = await install(card);

    expectExit(run, 1);
    expect(run.output).toMatch(
      new RegExp(
        `chunk \\d+ of \\d+ \\(image bytes ${missing.offset}-\\d+, \\S+${missing.sha256}\\.zst\\) could not be fetched: .*HTTP 404`,
      ),
    );
    expect(run.output).toContain("the server's chunk store lacks it");
    expect(chunkGets(server).filter((sha) => sha === missing.sha256)).toHaveLength(1);
  });

  it.each([
    [
      'size',
      (manifest: { imageSize: number }) => (manifest.imageSize += 4096),
      /it is for an image of \d+ bytes, the configuration says \d+/,
    ],
    [
      'digest',
      (manifest: { imageSha256: string }) => (manifest.imageSha256 = '0'.repeat(64)),
      /its image SHA-256 is 0{64}, the configuration says [0-9a-f]{64}/,
    ],
  ] as const)(
    'refuses a manifest whose image %s disagrees with the configuration, writing nothing',
    async (_, edit, message) => {
      server = await ContractServer.start({ image: versionN });
      server.faults.editManifest = edit as (manifest: object) => void;
      const card = makeCard(fixture.dir, 'manifest.card', 96 * MiB, 'used');
      const before = sha256File(card);

      const run = await install(card);

      expectExit(run, 1);
      expect(run.output).toMatch(message);
      expect(run.output).toContain("the image's chunk manifest does not fit image 1.0.0");
      expect(chunkGets(server)).toEqual([]);
      expect(sha256File(card)).toBe(before);
    },
  );

  it('re-images a card holding version N with N+1: only the chunks that differ are fetched and written', async () => {
    server = await ContractServer.start({ image: versionN });
    const card = makeCard(fixture.dir, 'delta.card', 128 * MiB, 'used');
    expectExit(await install(card), 0);
    await server.stop();

    const next = buildNextVersion();
    const changed = next.chunks.chunks.filter(
      (chunk) =>
        createHash('sha256')
          .update(readCard(card, chunk.offset, chunk.length))
          .digest('hex') !== chunk.sha256,
    );
    // The data changed in a few chunks, personalisation touched a few more: far from all of them.
    expect(changed.length).toBeGreaterThanOrEqual(3);
    expect(changed.length).toBeLessThan(next.chunks.chunks.length / 2);
    server = await ContractServer.start({ image: next });

    // Read whole only where the card's first 4 KiB match the chunk's probe (or a patch base's).
    const probeMatches = next.chunks.chunks.filter((chunk) => {
      const onCard = probeOf(readCard(card, chunk.offset, Math.min(chunk.length, CHUNK_PROBE_BYTES)));
      return onCard === chunk.probe || chunk.patches?.some((patch) => patch.baseProbe === onCard);
    });
    expect(probeMatches.length).toBeGreaterThanOrEqual(next.chunks.chunks.length - changed.length);

    const run = await install(card);

    expectExit(run, 0);
    expect(surveyed(run)).toBe(
      next.chunks.chunks.reduce((sum, chunk) => sum + Math.min(chunk.length, CHUNK_PROBE_BYTES), 0) +
        probeMatches.reduce((sum, chunk) => sum + chunk.length, 0),
    );
    expect(chunkGets(server).sort()).toEqual(changed.map((chunk) => chunk.sha256).sort());
    const reused = next.chunks.chunks.length - changed.length;
    const counts = `${reused} of ${next.chunks.chunks.length} chunks reused from the card`;
    expect(run.output).toContain(counts);
    const deployment = [...server.deployments.values()][0];
    const success = expectSuccessfulTrail(server.reports, deployment.id, deployment.token).at(-1);
    expect(success?.message).toContain(counts);
    // Counted by the installer: the changed chunks' frames fetched, their bytes written, plus the partition table region.
    const [, fetched, written] = /chunks: .*\((\d+) bytes\) fetched, .*\((\d+) bytes\) written/.exec(run.output) ?? [];
    expect(Number(fetched)).toBe(changed.reduce((sum, chunk) => sum + chunk.storedSize, 0));
    expect(Number(written)).toBe(changed.reduce((sum, chunk) => sum + chunk.length, 0) + MiB);
    expect(success?.transfer).toEqual({
      bytesFetched: Number(fetched),
      bytesFromPeers: 0,
      bytesWritten: Number(written),
      chunksReused: reused,
      chunksTotal: next.chunks.chunks.length,
    });
    expectImageOnCard(card, next.image);
  });

  it('re-images N -> N+1 from patches against what the card holds; a patch missing or damaged costs the whole chunk, never a wrong byte', async () => {
    server = await ContractServer.start({ image: versionN });
    const card = makeCard(fixture.dir, 'patch.card', 128 * MiB, 'used');
    expectExit(await install(card), 0);
    await server.stop();

    // Blocks 2 MiB apart in one file: each in a chunk of its own.
    const next = buildNextVersion([0, 2, 4, 6, 8].map((mib) => mib * MiB));
    addPatches({ store: next.chunks, image: next.path }, { store: versionN.chunks, image: fixture.image.path });
    const onCard = (chunk: ImageChunk) =>
      createHash('sha256')
        .update(readCard(card, chunk.offset, chunk.length))
        .digest('hex');
    const changed = next.chunks.chunks.filter((chunk) => onCard(chunk) !== chunk.sha256);
    // The chunks whose bytes on the card are version N's (personalised ones are not).
    const patchable = changed.filter((chunk) => chunk.patches?.some((patch) => patch.base === onCard(chunk)));
    expect(patchable.length).toBeGreaterThanOrEqual(3);
    const patchFile = (chunk: ImageChunk) =>
      join(next.chunks.dir, `${chunk.sha256}.from-${(chunk.patches as ChunkPatch[])[0].base}.zst`);
    const [missing, damaged] = patchable;
    rmSync(patchFile(missing));
    const frame = readFileSync(patchFile(damaged));
    frame[frame.length >> 1] ^= 0xff;
    writeFileSync(patchFile(damaged), frame);
    server = await ContractServer.start({ image: next });

    const run = await install(card);

    expectExit(run, 0);
    expectImageOnCard(card, next.image);
    const whole = changed.filter((chunk) => !patchable.includes(chunk) || chunk === missing || chunk === damaged);
    const gets = chunkGets(server);
    expect(gets.filter((name) => !name.includes('.from-')).sort()).toEqual(whole.map((chunk) => chunk.sha256).sort());
    expect(gets.filter((name) => name.includes('.from-')).sort()).toEqual(
      patchable.map((chunk) => `${chunk.sha256}.from-${(chunk.patches as ChunkPatch[])[0].base}`).sort(),
    );
    expect(run.output.split('its patch did not do')).toHaveLength(3);
    expect(run.output).toContain(`, ${patchable.length - 2} patched`);
    const [, fetched] = /chunks: .*\((\d+) bytes\) fetched/.exec(run.output) ?? [];
    const patchBytes = patchable
      .filter((chunk) => chunk !== missing)
      .reduce((sum, chunk) => sum + (chunk.patches as ChunkPatch[])[0].storedSize, 0);
    expect(Number(fetched)).toBe(patchBytes + whole.reduce((sum, chunk) => sum + chunk.storedSize, 0));
  });

  it('reads the whole range of chunks the server has no probe for (stored before probes), and the card is exact', async () => {
    const chunks = versionN.chunks.chunks.map(({ probe: _probe, ...chunk }) => chunk);
    server = await ContractServer.start({ image: { ...versionN, chunks: { ...versionN.chunks, chunks } } });
    const card = makeCard(fixture.dir, 'unprobed.card', 128 * MiB, 'used');

    const run = await install(card);

    expectExit(run, 0);
    expect(surveyed(run)).toBe(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    expect(run.output).toContain(`0 of ${chunks.length} chunks reused from the card`);
    expectImageOnCard(card, fixture.image);
  });

  it('falls back to the ranged download on a Node without zstd, and says so once', async () => {
    expect({
      node: process.version,
      zstd: typeof (zlib as { zstdDecompress?: unknown }).zstdDecompress,
    }).toEqual({
      node: expect.stringMatching(/^v(18|20|21|22)\./),
      zstd: 'undefined',
    });
    server = await ContractServer.start({ image: versionN });
    const card = makeCard(fixture.dir, 'node20.card', 96 * MiB, 'used');

    const run = await install(card, process.execPath);

    expectExit(run, 0);
    expectImageOnCard(card, fixture.image);
    const notice = `pi-installer: Node ${process.versions.node} has no zstd (needs 22.15 or later): fetching the image uncompressed`;
    expect(run.output.split(notice)).toHaveLength(2);
    expect(chunkGets(server)).toEqual([]);
    expect(server.imageRequests.some((request) => request.path.endsWith('.chunks'))).toBe(false);
    expect(server.imageRequests.some((request) => request.path.endsWith('.img'))).toBe(true);
  });
});

/**
 * Version N+1: version N with a few 4 KiB blocks of a data file's content replaced (the file
 * systems stay intact), its own block map and chunks in the same store (shared chunks stored once).
 */
function buildNextVersion(changedAt = [0, MiB, 2 * MiB]): ServedImage & { chunks: ChunkStore; image: PiOsImage } {
  const path = join(fixture.dir, 'pi-os-1.0.1.img');
  copyFileSync(fixture.image.path, path);
  const content = readExt4File(fixture.image.path, fixture.image.partitions.root.startBytes, '/opt/recorder/model.bin');
  const whole = readFileSync(fixture.image.path);
  const fd = openSync(path, 'r+');
  try {
    for (const at of changedAt) {
      const offset = whole.indexOf(content.subarray(at, at + 4096));
      if (offset < 0 || offset % 4096 !== 0) throw new Error(`block ${at} of model.bin not found in the image`);
      writeSync(fd, randomBytes(4096), 0, 4096, offset);
    }
  } finally {
    closeSync(fd);
  }
  const bmap = writeBlockMap(path, `${path}.bmap`, { maxRangeBlocks: 512 });
  const image: PiOsImage = { ...fixture.image, path, sha256: sha256File(path) };
  return {
    path,
    name: 'pi-os-1.0.1.img',
    compression: 'none',
    size: image.size,
    sha256: image.sha256,
    version: '1.0.1',
    bmapPath: bmap.path,
    chunks: buildChunkStore(path, bmap, join(fixture.dir, 'store')),
    image,
  };
}

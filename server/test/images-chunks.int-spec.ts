import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeSync,
  closeSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decompress, Decompressor } from 'zstd-napi';
import {
  CHUNK_GRID_BYTES,
  CHUNK_PROBE_BYTES,
  type ChunkManifest,
  type ConfigResponse,
  type ImageDto,
} from '@rpi-deploy/contracts';
import { buildPiOsImage, uploadFile } from '@rpi-deploy/test-kit';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { BLOCK, mappedBlocks, storedChunks, storedPatches } from './support/image-blocks';
import { testDatabases } from './support/test-databases';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe.each(testDatabases())('the chunk store on $name', (database) => {
  let t: TestServer;
  let token: string;
  let work: string;
  /** Version 1 of a Pi OS image, and version 2: the same with 1.5 MiB of its root file data changed. */
  let v1Path: string;
  let v2Path: string;
  let rootStart: number;
  /** An xz of another image, cut short near its end. */
  let brokenXzPath: string;
  let big: ReturnType<typeof buildPiOsImage>;

  const manage = (path: string, method = 'GET', body?: unknown) => api(t.management, path, { method, token, body });
  const upload = async (filePath: string, version: string): Promise<ImageDto> => {
    const answer = await uploadFile({
      url: `${t.management}/api/images`,
      token,
      fields: { product: 'KXP2', version },
      filePath,
    });
    expect(answer.status).toBe(201);
    return answer.body as ImageDto;
  };
  const manifestOf = async (image: ImageDto): Promise<ChunkManifest> => {
    const response = await fetch(`${t.deployment}/images/${image.filename}.chunks`);
    expect(response.status).toBe(200);
    return (await response.json()) as ChunkManifest;
  };
  const manifestDigests = (manifest: ChunkManifest) => new Set(manifest.chunks.map((chunk) => chunk.sha256));

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'chunks-test-'));
    const v1 = buildPiOsImage(work, { name: 'v1.img', sizeMiB: 96 });
    v1Path = v1.path;
    v2Path = join(work, 'v2.img');
    copyFileSync(v1Path, v2Path);
    // Change bytes inside mapped data of the root file system (its random file contents).
    const bytes = readFileSync(v1Path);
    rootStart = v1.partitions.root.startBytes;
    const target = mappedBlocks(bytes).find((block) => block * BLOCK > rootStart + 8 * CHUNK_GRID_BYTES)!;
    const fd = openSync(v2Path, 'r+');
    writeSync(fd, randomBytes(1536 * 1024), 0, 1536 * 1024, target * BLOCK);
    closeSync(fd);
    // Made before the server starts: building blocks this process, and with it the in-process
    // server, long enough for its keep-alive timer to close a connection the tests reuse.
    const v3 = buildPiOsImage(work, { name: 'v3.img', sizeMiB: 80 });
    execFileSync('xz', ['-k', '-T0', '-1', v3.path]);
    // Cut short near the end: the data is unpacked (and chunked) before the xz stream is found broken.
    brokenXzPath = `${v3.path}.xz`;
    truncateSync(brokenXzPath, statSync(brokenXzPath).size - 64);
    big = buildPiOsImage(work, { name: 'big.img', sizeMiB: 320, randomDataMiB: 160 });

    t = await bootTestServer({
      DATABASE_URL: await database.create(),
      DEPLOY_PUBLIC_URL: 'http://deploy.example:5001/',
    });
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
  }, 240_000);

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('cuts the mapped data on the grid, serves a manifest that covers it exactly, and chunks that decompress to it', async () => {
    const image = await upload(v1Path, '1.0.0');
    const bytes = readFileSync(v1Path);
    const manifest = await manifestOf(image);
    expect(manifest).toMatchObject({
      format: 'rpi-deploy-chunks/1',
      imageSize: bytes.length,
      imageSha256: sha256(bytes),
      compression: 'zstd',
      chunkBaseUrl: 'http://deploy.example:5001/chunks',
    });
    // In offset order, each inside one grid cell, together exactly the mapped blocks.
    const covered: number[] = [];
    let end = 0;
    for (const chunk of manifest.chunks) {
      expect(chunk.offset).toBeGreaterThanOrEqual(end);
      end = chunk.offset + chunk.length;
      expect(Math.floor(chunk.offset / CHUNK_GRID_BYTES)).toBe(Math.floor((end - 1) / CHUNK_GRID_BYTES));
      for (let block = chunk.offset / BLOCK; block * BLOCK < end; block += 1) covered.push(block);
    }
    expect(covered).toEqual(mappedBlocks(bytes));

    for (const chunk of manifest.chunks) {
      const response = await fetch(`${t.deployment}/chunks/${chunk.sha256}.zst`);
      expect(response.status).toBe(200);
      const frame = Buffer.from(await response.arrayBuffer());
      expect(frame.length).toBe(chunk.storedSize);
      const data = decompress(frame);
      expect(sha256(data)).toBe(chunk.sha256);
      expect(data.equals(bytes.subarray(chunk.offset, chunk.offset + chunk.length))).toBe(true);
      // The probe an installer compares with the card's first 4 KiB of the range.
      expect(chunk.probe).toBe(sha256(data.subarray(0, CHUNK_PROBE_BYTES)).slice(0, 16));
    }
    expect(storedChunks(t.dataDir)).toEqual([...manifestDigests(manifest)].sort());
    const listed = (await manage(`/api/images/${image.id}`)).body as ImageDto;
    expect(listed.chunks).toEqual({
      chunkCount: manifest.chunks.length,
      storedBytes: manifest.chunks.reduce((sum, chunk) => sum + chunk.storedSize, 0),
      sharedWithPreviousBytes: null,
    });
  });

  it('serves a chunk immutable, with its digest as ETag, ranges, and 404 for unknown or malformed names', async () => {
    const [image] = (await manage('/api/images')).body as ImageDto[];
    const [chunk] = (await manifestOf(image!)).chunks;
    const url = `${t.deployment}/chunks/${chunk!.sha256}.zst`;
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(head.headers.get('etag')).toBe(`"${chunk!.sha256}"`);
    expect(head.headers.get('content-length')).toBe(String(chunk!.storedSize));
    const part = await fetch(url, { headers: { range: 'bytes=0-9' } });
    expect(part.status).toBe(206);
    expect((await part.arrayBuffer()).byteLength).toBe(10);
    for (const name of [
      `${'0'.repeat(64)}.zst`,
      `${chunk!.sha256.toUpperCase()}.zst`,
      'abc.zst',
      `${chunk!.sha256}`,
      '..%2F..%2Fdatabase.sqlite',
    ]) {
      expect((await fetch(`${t.deployment}/chunks/${name}`)).status).toBe(404);
    }
    // The management listener does not serve chunks (it answers its dashboard for unknown paths).
    const management = await fetch(`${t.management}/chunks/${chunk!.sha256}.zst`);
    expect(management.headers.get('content-type')).not.toBe('application/zstd');
  });

  it('stores the chunks two versions share once, and says how much version 2 shares with version 1', async () => {
    const images = (await manage('/api/images')).body as ImageDto[];
    const v1 = images.find((image) => image.version === '1.0.0')!;
    const v2 = await upload(v2Path, '2.0.0');
    const [m1, m2] = [await manifestOf(v1), await manifestOf(v2)];
    const union = new Set([...manifestDigests(m1), ...manifestDigests(m2)]);
    expect(storedChunks(t.dataDir)).toEqual([...union].sort());
    // 1.5 MiB changed touches at most one grid cell more than it fills.
    expect(union.size).toBeLessThanOrEqual(manifestDigests(m1).size + Math.ceil((1536 * 1024) / CHUNK_GRID_BYTES) + 1);
    const changed = m2.chunks.filter((chunk) => !manifestDigests(m1).has(chunk.sha256));
    expect(changed.length).toBeGreaterThanOrEqual(2);
    const listed = (await manage(`/api/images/${v2.id}`)).body as ImageDto;
    expect(listed.chunks!.sharedWithPreviousBytes).toBe(
      v2.mappedBytes - changed.reduce((sum, chunk) => sum + chunk.length, 0),
    );
  });

  it("patches a new version's changed chunks against the latest version's, serves the patches, and removes them with their chunk", async () => {
    const images = (await manage('/api/images')).body as ImageDto[];
    const v2 = images.find((image) => image.version === '2.0.0')!;
    // Version 4: version 2 with 64 bytes changed in each of three grid cells of root file data,
    // as an upgrade of a few small files does.
    const v4Path = join(work, 'v4.img');
    copyFileSync(v2Path, v4Path);
    // Cells whose every block holds data: each is one whole chunk, worth a patch.
    const perCell = new Map<number, number[]>();
    for (const block of mappedBlocks(readFileSync(v2Path))) {
      const cell = Math.floor((block * BLOCK) / CHUNK_GRID_BYTES);
      if (block * BLOCK > rootStart) perCell.set(cell, [...(perCell.get(cell) ?? []), block]);
    }
    const full = [...perCell.values()].filter((blocks) => blocks.length === CHUNK_GRID_BYTES / BLOCK);
    const cells = new Map(full.slice(0, 3).map((blocks) => [blocks[0], blocks[7]]));
    expect(cells.size).toBe(3);
    const fd = openSync(v4Path, 'r+');
    for (const block of cells.values()) writeSync(fd, randomBytes(64), 0, 64, block * BLOCK + 100);
    closeSync(fd);
    const v4 = await upload(v4Path, '4.0.0');
    const [m2, m4] = [await manifestOf(v2), await manifestOf(v4)];
    const before = new Map(m2.chunks.map((chunk) => [chunk.offset, chunk]));
    const changed = m4.chunks.filter((chunk) => before.get(chunk.offset)?.sha256 !== chunk.sha256);
    expect(changed).toHaveLength(3);
    expect(m4.chunks.filter((chunk) => chunk.patches !== undefined)).toEqual(changed);
    for (const chunk of changed) {
      const base = before.get(chunk.offset)!;
      expect(chunk.patches).toEqual([{ base: base.sha256, storedSize: expect.any(Number), baseProbe: base.probe }]);
      expect(chunk.patches![0].storedSize).toBeLessThan(chunk.storedSize / 10);
      const response = await fetch(`${t.deployment}/chunks/${chunk.sha256}.from-${base.sha256}.zst`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toContain('immutable');
      const frame = Buffer.from(await response.arrayBuffer());
      expect(frame.length).toBe(chunk.patches![0].storedSize);
      const baseFrame = Buffer.from(await (await fetch(`${t.deployment}/chunks/${base.sha256}.zst`)).arrayBuffer());
      const decoder = new Decompressor();
      decoder.loadDictionary(decompress(baseFrame));
      expect(sha256(decoder.decompress(frame))).toBe(chunk.sha256);
    }
    // Only patches the store made are served.
    const [first, second] = changed;
    const unknown = await fetch(`${t.deployment}/chunks/${first.sha256}.from-${second.sha256}.zst`);
    expect(unknown.status).toBe(404);

    const patchNames = (manifest: ChunkManifest) =>
      manifest.chunks.flatMap((chunk) => (chunk.patches ?? []).map((patch) => `${chunk.sha256}.from-${patch.base}`));
    expect(storedPatches(t.dataDir)).toEqual([...patchNames(m2), ...patchNames(m4)].sort());
    expect((await manage(`/api/images/${v4.id}`, 'DELETE')).status).toBe(204);
    expect(storedPatches(t.dataDir)).toEqual(patchNames(m2).sort());
    const gone = await fetch(`${t.deployment}/chunks/${first.sha256}.from-${before.get(first.offset)!.sha256}.zst`);
    expect(gone.status).toBe(404);
    const m1 = await manifestOf(images.find((image) => image.version === '1.0.0')!);
    expect(storedChunks(t.dataDir)).toEqual([...new Set([...manifestDigests(m1), ...manifestDigests(m2)])].sort());
  });

  it('hands out manifestUrl in /api/config for a chunked image', async () => {
    await manage('/api/venues', 'POST', { code: 'CORO', name: 'Corona' });
    await manage('/api/venues/CORO/karts', 'POST', { from: 1, to: 5 });
    const v2 = ((await manage('/api/images')).body as ImageDto[]).find((image) => image.version === '2.0.0')!;
    expect((await manage(`/api/images/${v2.id}/activate`, 'POST')).status).toBe(200);
    const response = await api(t.deployment, '/api/config', {
      method: 'POST',
      body: { serial: '2000000000000001', mac: '2c:cf:67:00:00:01', product: 'kxp2', venue: 'coro' },
    });
    expect(response.status).toBe(200);
    const image = (response.body as ConfigResponse).image;
    expect(image.manifestUrl).toBe(`http://deploy.example:5001/images/${v2.filename}.chunks`);
  });

  it('frees on delete only the chunks no other image uses', async () => {
    const images = (await manage('/api/images')).body as ImageDto[];
    const v1 = images.find((image) => image.version === '1.0.0')!;
    const v2 = images.find((image) => image.version === '2.0.0')!;
    const m2 = await manifestOf(v2);
    expect((await manage(`/api/images/${v1.id}`, 'DELETE')).status).toBe(204);
    expect(storedChunks(t.dataDir)).toEqual([...manifestDigests(m2)].sort());
    for (const chunk of m2.chunks.slice(0, 3)) {
      expect((await fetch(`${t.deployment}/chunks/${chunk.sha256}.zst`, { method: 'HEAD' })).status).toBe(200);
    }
  });

  it('refuses to delete an image a unit is installing, and deletes it once that unit has finished', async () => {
    const v2 = ((await manage('/api/images')).body as ImageDto[]).find((image) => image.version === '2.0.0')!;
    const chunksBefore = storedChunks(t.dataDir);
    const older = await upload(v1Path, '1.5.0');
    expect((await manage(`/api/images/${older.id}/activate`, 'POST')).status).toBe(200);
    const unit = (
      await api(t.deployment, '/api/config', {
        method: 'POST',
        body: { serial: '2000000000000002', mac: '2c:cf:67:00:00:02', product: 'kxp2', venue: 'coro' },
      })
    ).body as ConfigResponse;
    expect(unit.image.manifestUrl).toContain(older.filename);
    expect((await manage(`/api/images/${v2.id}/activate`, 'POST')).status).toBe(200);

    const refused = await manage(`/api/images/${older.id}`, 'DELETE');
    expect(refused.status).toBe(409);
    expect((refused.body as { message: string }).message).toContain(
      'KXP2 1.5.0 is being installed by 1 unit right now',
    );
    const manifest = await manifestOf(older);
    expect((await fetch(`${t.deployment}/chunks/${manifest.chunks[0]!.sha256}.zst`, { method: 'HEAD' })).status).toBe(
      200,
    );

    const failed = await api(t.deployment, '/api/status', {
      method: 'POST',
      body: { deploymentId: unit.deploymentId, status: 'failed', error: 'card removed' },
      headers: { authorization: `Bearer ${unit.statusToken}` },
    });
    expect(failed.status).toBe(200);
    expect((await manage(`/api/images/${older.id}`, 'DELETE')).status).toBe(204);
    expect(storedChunks(t.dataDir)).toEqual(chunksBefore);
  });

  it('leaves no chunk behind from an upload refused after its data went by', async () => {
    const before = storedChunks(t.dataDir);
    const answer = await uploadFile({
      url: `${t.management}/api/images`,
      token,
      fields: { product: 'KXP2', version: '3.0.0' },
      filePath: brokenXzPath,
    });
    expect(answer.status).toBe(400);
    expect(storedChunks(t.dataDir)).toEqual(before);
    expect(((await manage('/api/images')).body as ImageDto[]).map((image) => image.version)).toEqual(['2.0.0']);
  });

  it('keeps answering while an upload compresses', async () => {
    let slowest = 0;
    let probes = 0;
    let uploading = true;
    const probing = (async () => {
      while (uploading) {
        const started = Date.now();
        expect((await fetch(`${t.deployment}/health`)).status).toBe(200);
        slowest = Math.max(slowest, Date.now() - started);
        probes += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await upload(big.path, '4.0.0').finally(() => (uploading = false));
    await probing;
    expect(probes).toBeGreaterThan(10);
    expect(slowest).toBeLessThan(500);
  }, 180_000);
});

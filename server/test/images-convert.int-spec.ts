import { createHash, randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { DataSource } from 'typeorm';
import { decompress } from 'zstd-napi';
import {
  CHUNK_GRID_BYTES,
  formatBytes,
  SOCKET_EVENTS,
  type ChunkManifest,
  type ConfigResponse,
  type ImageConversionDto,
  type ImageDto,
} from '@rpi-deploy/contracts';
import { buildPiOsImage, uploadFile } from '@rpi-deploy/test-kit';
import { Transactions } from '../src/database/transactions';
import { ChunkCatalogue } from '../src/images/chunks/chunk-catalogue';
import { ImageChunkRow } from '../src/images/chunks/chunk.entity';
import { Image } from '../src/images/image.entity';
import { cli } from './support/run-cli';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { BLOCK, mappedBlocks, storedChunks } from './support/image-blocks';
import { testDatabases } from './support/test-databases';

// Each test uploads and converts 96 MiB images, on a machine other test suites share.
jest.setTimeout(240_000);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe.each(testDatabases())('converting images stored before the chunk store, on $name', (database) => {
  let t: TestServer;
  let token: string;
  let work: string;
  let v1Path: string;
  /** Another image: different random file contents, so chunks of its own. */
  let otherPath: string;
  let databaseUrl: string | undefined;

  const manage = (path: string, method = 'GET', body?: unknown) => api(t.management, path, { method, token, body });

  /**
   * An image as the server stored it before the chunk store: the upload path is unchanged (file
   * and block map in DATA_DIR/images, same row), so it is uploaded normally, then the chunk
   * store's part is undone the way deleting an image undoes it (ChunkCatalogue.forget and free)
   * and chunk_count set back to null — which is all the older server never wrote.
   */
  const uploadTheOldWay = async (filePath: string, version: string): Promise<ImageDto> => {
    const answer = await uploadFile({
      url: `${t.management}/api/images`,
      token,
      fields: { product: 'KXP2', version },
      filePath,
    }).catch((error: Error) => {
      const logged = t.logger.lines.filter((line) => /^(error|warn)/.test(line)).slice(-5);
      throw new Error(`upload of ${version} failed (${error.message}); the server logged: ${logged.join(' | ')}`);
    });
    expect(answer.status).toBe(201);
    const { id } = answer.body as ImageDto;
    const catalogue = t.server.app.get(ChunkCatalogue);
    const digests = await t.server.app.get(Transactions).run(async (manager) => {
      await manager.update(Image, { id }, { chunkCount: null });
      return catalogue.forget(manager, id);
    });
    await catalogue.free(digests);
    const stored = (await manage(`/api/images/${id}`)).body as ImageDto;
    expect(stored).toMatchObject({ chunks: null, conversion: null });
    return stored;
  };

  const conversionEnds = async (id: number): Promise<ImageDto> => {
    for (let tries = 0; tries < 600; tries += 1) {
      const image = (await manage(`/api/images/${id}`)).body as ImageDto;
      if (image.conversion?.state === 'done' || image.conversion?.state === 'failed') return image;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the conversion of image ${id} did not end`);
  };

  const manifestOf = async (image: ImageDto): Promise<ChunkManifest> => {
    const response = await fetch(`${t.deployment}/images/${image.filename}.chunks`);
    expect(response.status).toBe(200);
    return (await response.json()) as ChunkManifest;
  };

  /** The digests the chunked images' manifests name: exactly what the store must hold. */
  const digestsInUse = async (): Promise<string[]> => {
    const digests = new Set<string>();
    for (const image of (await manage('/api/images')).body as ImageDto[]) {
      if (image.chunks === null) continue;
      for (const chunk of (await manifestOf(image)).chunks) digests.add(chunk.sha256);
    }
    return [...digests].sort();
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'convert-test-'));
    v1Path = buildPiOsImage(work, { name: 'v1.img', sizeMiB: 96 }).path;
    otherPath = buildPiOsImage(work, { name: 'other.img', sizeMiB: 96 }).path;
    databaseUrl = await database.create();
    t = await bootTestServer({ DATABASE_URL: databaseUrl, DEPLOY_PUBLIC_URL: 'http://deploy.example:5001/' });
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
  });

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('converts an old image: live progress, a manifest covering exactly its mapped data, chunks that decompress to it', async () => {
    const old = await uploadTheOldWay(v1Path, '1.0.0');
    expect((await fetch(`${t.deployment}/images/${old.filename}.chunks`)).status).toBe(404);
    expect(storedChunks(t.dataDir)).toEqual([]);

    const socket: Socket = io(t.management, {
      path: '/socket.io',
      transports: ['websocket'],
      auth: { token },
      reconnection: false,
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const events: ImageConversionDto[] = [];
    socket.on(SOCKET_EVENTS.imageConversion, (event: ImageConversionDto) => events.push(event));
    try {
      const started = await manage(`/api/images/${old.id}/chunks`, 'POST');
      expect(started.status).toBe(202);
      expect(started.body).toMatchObject({ imageId: old.id, totalBytes: old.mappedBytes });
      expect(['queued', 'running']).toContain((started.body as ImageConversionDto).state);
      const converted = await conversionEnds(old.id);
      expect(converted.conversion).toEqual({
        imageId: old.id,
        state: 'done',
        doneBytes: old.mappedBytes,
        totalBytes: old.mappedBytes,
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(events.map((event) => event.state)[0]).toBe('queued');
      expect(events.at(-1)).toEqual(converted.conversion);
      const done = events.map((event) => event.doneBytes);
      expect(done).toEqual([...done].sort((a, b) => a - b));
    } finally {
      socket.close();
    }

    const bytes = readFileSync(v1Path);
    const image = (await manage(`/api/images/${old.id}`)).body as ImageDto;
    const manifest = await manifestOf(image);
    expect(manifest).toMatchObject({ imageSize: bytes.length, imageSha256: sha256(bytes) });
    const covered: number[] = [];
    let end = 0;
    for (const chunk of manifest.chunks) {
      expect(chunk.offset).toBeGreaterThanOrEqual(end);
      end = chunk.offset + chunk.length;
      expect(Math.floor(chunk.offset / CHUNK_GRID_BYTES)).toBe(Math.floor((end - 1) / CHUNK_GRID_BYTES));
      for (let block = chunk.offset / BLOCK; block * BLOCK < end; block += 1) covered.push(block);
      const frame = Buffer.from(await (await fetch(`${t.deployment}/chunks/${chunk.sha256}.zst`)).arrayBuffer());
      expect(frame.length).toBe(chunk.storedSize);
      expect(decompress(frame).equals(bytes.subarray(chunk.offset, chunk.offset + chunk.length))).toBe(true);
    }
    expect(covered).toEqual(mappedBlocks(bytes));
    expect(storedChunks(t.dataDir)).toEqual([...new Set(manifest.chunks.map((chunk) => chunk.sha256))].sort());
    expect(image.chunks).toEqual({
      chunkCount: manifest.chunks.length,
      storedBytes: manifest.chunks.reduce((sum, chunk) => sum + chunk.storedSize, 0),
      sharedWithPreviousBytes: null,
    });

    // Units are now sent the chunk manifest.
    await manage('/api/venues', 'POST', { code: 'CORO', name: 'Corona' });
    await manage('/api/venues/CORO/karts', 'POST', { from: 1, to: 5 });
    expect((await manage(`/api/images/${old.id}/activate`, 'POST')).status).toBe(200);
    const config = await api(t.deployment, '/api/config', {
      method: 'POST',
      body: { serial: '3000000000000001', mac: '2c:cf:67:00:01:01', product: 'kxp2', venue: 'coro' },
    });
    expect(config.status).toBe(200);
    expect((config.body as ConfigResponse).image.manifestUrl).toBe(
      `http://deploy.example:5001/images/${old.filename}.chunks`,
    );

    const again = await manage(`/api/images/${old.id}/chunks`, 'POST');
    expect(again.status).toBe(409);
    expect(again.body.message).toBe('KXP2 1.0.0 is in the chunk store already: nothing to convert');
    const unknown = await manage('/api/images/999999/chunks', 'POST');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe('No image 999999');
  });

  it('runs one conversion at a time, refusing a second start or a delete of an image queued or converting', async () => {
    const first = await uploadTheOldWay(otherPath, '3.0.0');
    const second = await uploadTheOldWay(v1Path, '1.1.0');
    expect((await manage(`/api/images/${first.id}/chunks`, 'POST')).status).toBe(202);
    const queued = await manage(`/api/images/${second.id}/chunks`, 'POST');
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ state: 'queued', doneBytes: 0 });

    const twice = await manage(`/api/images/${second.id}/chunks`, 'POST');
    expect(twice.status).toBe(409);
    expect(twice.body.message).toBe('KXP2 1.1.0 is being converted already: wait for it to finish');
    for (const image of [first, second]) {
      const refused = await manage(`/api/images/${image.id}`, 'DELETE');
      expect(refused.status).toBe(409);
      expect(refused.body.message).toContain(`Image ${image.id} is being converted into chunks`);
    }
    expect((await conversionEnds(first.id)).conversion?.state).toBe('done');
    expect((await conversionEnds(second.id)).conversion?.state).toBe('done');

    // Version 1.1.0 is the same image as 1.0.0: deleting it frees none of the chunks 1.0.0 uses.
    expect((await manage(`/api/images/${second.id}`, 'DELETE')).status).toBe(204);
    expect(storedChunks(t.dataDir)).toEqual(await digestsInUse());
  });

  it('fails on a damaged stored image, saying so, and leaves no chunks', async () => {
    const damagedPath = join(work, 'damaged.img');
    const bytes = randomizeRoot(v1Path, damagedPath);
    const before = storedChunks(t.dataDir);
    const old = await uploadTheOldWay(damagedPath, '4.0.0');
    // One byte flipped in a mapped block late in the image: earlier ranges were cut before it.
    const mapped = mappedBlocks(bytes);
    const block = mapped[Math.floor(mapped.length * 0.9)]!;
    const fd = openSync(join(t.dataDir, 'images', old.filename), 'r+');
    writeSync(fd, Buffer.from([bytes[block * BLOCK]! ^ 0xff]), 0, 1, block * BLOCK);
    closeSync(fd);

    expect((await manage(`/api/images/${old.id}/chunks`, 'POST')).status).toBe(202);
    const failed = await conversionEnds(old.id);
    expect(failed.chunks).toBeNull();
    expect(failed.conversion?.state).toBe('failed');
    expect(failed.conversion?.error).toMatch(
      new RegExp(
        `^Converting image ${old.id} failed: blocks \\d+-\\d+ do not match the checksum in its block map: the stored file is damaged; upload the image again$`,
      ),
    );
    const rows = await t.server.app.get(DataSource).getRepository(ImageChunkRow).countBy({ imageId: old.id });
    expect(rows).toBe(0);
    expect(storedChunks(t.dataDir)).toEqual(before);
    expect((await fetch(`${t.deployment}/images/${old.filename}.chunks`)).status).toBe(404);
  });

  it('converts from the CLI, waiting with progress, or only starting it with --no-wait', async () => {
    const env = { RPI_DEPLOY_URL: t.management, RPI_DEPLOY_PASSWORD: ADMIN_PASSWORD };
    const waited = await uploadTheOldWay(v1Path, '1.2.0');
    const run = await cli(['--user', 'admin', 'image', 'convert', String(waited.id)], env);
    expect(run.stderr).not.toMatch(/rpi-deploy:/);
    expect(run.code).toBe(0);
    const converted = (await manage(`/api/images/${waited.id}`)).body as ImageDto;
    expect(run.stdout).toBe(
      `Image ${waited.id}: KXP2 1.2.0 is in the chunk store, ${converted.chunks?.chunkCount} chunks, ` +
        `${formatBytes(converted.chunks!.storedBytes)} stored\n`,
    );
    expect(converted.conversion?.state).toBe('done');

    const refused = await cli(['--user', 'admin', 'image', 'convert', String(waited.id)], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('KXP2 1.2.0 is in the chunk store already: nothing to convert');

    const started = await uploadTheOldWay(otherPath, '3.1.0');
    const noWait = await cli(['--user', 'admin', 'image', 'convert', String(started.id), '--no-wait'], env);
    expect(noWait.code).toBe(0);
    expect(noWait.stdout).toMatch(new RegExp(`^Image ${started.id}: conversion (queued|running)\\n$`));
    expect((await conversionEnds(started.id)).conversion?.state).toBe('done');
  });

  it('frees the chunks of a conversion cut short by a server stop; it can be started again after', async () => {
    const freshPath = join(work, 'fresh.img');
    randomizeRoot(v1Path, freshPath);
    const old = await uploadTheOldWay(freshPath, '5.0.0');
    const inUse = await digestsInUse();
    expect((await manage(`/api/images/${old.id}/chunks`, 'POST')).status).toBe(202);
    for (let tries = 0; tries < 600; tries += 1) {
      const { conversion } = (await manage(`/api/images/${old.id}`)).body as ImageDto;
      if (conversion?.state !== 'queued' && conversion?.state !== 'running') throw new Error('it ended too soon');
      if (conversion.doneBytes > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const dataDir = t.dataDir;
    const logged = t.logger.lines;
    await t.close({ keepData: true });
    expect(logged.join('\n')).toContain(
      `Converting image ${old.id} failed: the server stopped: start the conversion again`,
    );
    // Only the chunks of converted images are left (checked before a restart's sweep could hide it).
    expect(storedChunks(dataDir)).toEqual(inUse);

    t = await bootTestServer({ DATABASE_URL: databaseUrl, DEPLOY_PUBLIC_URL: 'http://deploy.example:5001/' }, dataDir);
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    expect((await manage(`/api/images/${old.id}`)).body).toMatchObject({ chunks: null, conversion: null });
    expect((await manage(`/api/images/${old.id}/chunks`, 'POST')).status).toBe(202);
    expect((await conversionEnds(old.id)).conversion?.state).toBe('done');
  });
});

/** A copy of the image with its last mapped quarter replaced by random bytes (chunks of its own). */
function randomizeRoot(from: string, to: string): Buffer {
  copyFileSync(from, to);
  const bytes = readFileSync(to);
  const mapped = mappedBlocks(bytes);
  for (const block of mapped.slice(Math.floor(mapped.length * 0.75))) randomBytes(BLOCK).copy(bytes, block * BLOCK);
  const fd = openSync(to, 'r+');
  writeSync(fd, bytes, 0, bytes.length, 0);
  closeSync(fd);
  return bytes;
}

import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decompress } from 'zstd-napi';
import {
  CAPTURE_OFFSET_HEADER,
  type CaptureSessionDto,
  type ChunkManifest,
  type ImageDto,
  type ImageRecompressionDto,
} from '@rpi-deploy/contracts';
import { buildPiOsImage, waitFor, type PiOsImage } from '@rpi-deploy/test-kit';
import { testDatabases } from './support/test-databases';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';

const UNIT = { serial: '10000000cafe0002', mac: 'd8:3a:dd:00:00:02' };
const FAST = '1';
const STORE = '19';

/**
 * A capture's chunks are stored at CAPTURE_ZSTD_LEVEL (so that it keeps up with the card) and
 * recompressed at CHUNK_ZSTD_LEVEL in the background: manifests then announce the new sizes, a
 * download during the recompression still gets frames that decode to their digests, and a server
 * stopped midway goes on after its restart. The capture runs with both levels fast (nothing to
 * recompress), so each step after it starts from a known state.
 */
describe.each(testDatabases())('captured chunks recompressed in the background on $name', (database) => {
  let work: string;
  let dataDir: string;
  let databaseUrl: string | undefined;
  let image: PiOsImage;
  let t: TestServer | undefined;
  let admin: string;

  const boot = async (chunkLevel: string) => {
    t = await bootTestServer(
      { DATABASE_URL: databaseUrl, CHUNK_ZSTD_LEVEL: chunkLevel, CAPTURE_ZSTD_LEVEL: FAST },
      dataDir,
    );
    admin = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    return t;
  };
  const restart = async (chunkLevel: string) => {
    await t?.close({ keepData: true });
    return boot(chunkLevel);
  };
  const imageOf = async (server: TestServer, id: number) =>
    (await api(server.management, `/api/images/${id}`, { token: admin })).body as ImageDto;
  const manifestOf = async (server: TestServer, filename: string) =>
    (await (await fetch(`${server.deployment}/images/${filename}.chunks`)).json()) as ChunkManifest;
  const chunkFile = (sha256: string) => join(dataDir, 'chunks', sha256.slice(0, 2), `${sha256}.zst`);
  /** Fetches every chunk as an installer does (the whole frame) and checks it decodes to its digest. */
  const verifyChunks = async (server: TestServer, manifest: ChunkManifest) => {
    for (const chunk of manifest.chunks) {
      const response = await fetch(`${server.deployment}/chunks/${chunk.sha256}.zst`, {
        headers: { range: 'bytes=0-' },
      });
      expect([200, 206]).toContain(response.status);
      const data = decompress(Buffer.from(await response.arrayBuffer()));
      expect(createHash('sha256').update(data).digest('hex')).toBe(chunk.sha256);
    }
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'rpi-deploy-recompress-'));
    dataDir = mkdtempSync(join(tmpdir(), 'rpi-deploy-recompress-data-'));
    databaseUrl = await database.create();
    image = buildPiOsImage(work, { sizeMiB: 80, randomDataMiB: 1, systemFilesMiB: 12 });
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('stores a capture fast, recompresses it after a restart midway, and serves frames that verify throughout', async () => {
    // 1. The capture, both levels fast: stored at level 1, nothing to recompress.
    let server = await boot(FAST);
    expect(
      (
        await api(server.management, `/api/netboot/units/${UNIT.serial}/capture`, {
          method: 'PUT',
          token: admin,
          body: { product: 'KXP2', version: 'captured' },
        })
      ).status,
    ).toBe(200);
    const session = (
      await api(server.deployment, '/api/capture', { method: 'POST', body: { ...UNIT, sizeBytes: image.size } })
    ).body as CaptureSessionDto;
    const auth = { authorization: `Bearer ${session.token}` };
    const sent = await fetch(`${server.deployment}/api/capture/${session.captureId}/bytes`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/octet-stream', [CAPTURE_OFFSET_HEADER]: '0' },
      body: readFileSync(image.path),
    });
    expect(sent.status).toBe(200);
    const finished = await api(server.deployment, `/api/capture/${session.captureId}/finish`, {
      method: 'POST',
      headers: auth,
    });
    expect(finished.status).toBe(201);
    const captured = finished.body as ImageDto;
    expect(captured.sha256).toBe(image.sha256);
    const fast = await manifestOf(server, captured.filename);
    expect(fast.chunks.length).toBeGreaterThan(5);
    for (const chunk of fast.chunks) expect(statSync(chunkFile(chunk.sha256)).size).toBe(chunk.storedSize);
    const fastBytes = fast.chunks.reduce((sum, chunk) => sum + chunk.storedSize, 0);
    await waitFor(
      'the capture’s (empty) recompression to end',
      async () => ((await imageOf(server, captured.id)).recompression?.state === 'done' ? true : undefined),
      { lastSeen: async () => (await imageOf(server, captured.id)).recompression },
    );

    // 2. The store's level goes up: the restarted server finds the chunks below it and starts on
    // them; stopped as soon as it runs, it leaves no frame half-written.
    server = await restart(STORE);
    await waitFor('the recompression to run', async () =>
      (await imageOf(server, captured.id)).recompression?.state === 'running' ? true : undefined,
    );
    server = await restart(STORE);

    // 3. Downloads with the manifest of before the recompression verify while it goes on.
    let state: ImageRecompressionDto | null = null;
    let rounds = 0;
    do {
      await verifyChunks(server, fast);
      rounds += 1;
      state = (await imageOf(server, captured.id)).recompression;
    } while (state?.state !== 'done' && state?.state !== 'failed');
    expect(state).toMatchObject({ state: 'done', imageId: captured.id });
    expect(rounds).toBeGreaterThan(0);

    // 4. The manifest announces the smaller frames that are now in place, and they verify.
    const recompressed = await manifestOf(server, captured.filename);
    expect(recompressed.chunks.map((chunk) => chunk.sha256)).toEqual(fast.chunks.map((chunk) => chunk.sha256));
    for (const chunk of recompressed.chunks) expect(statSync(chunkFile(chunk.sha256)).size).toBe(chunk.storedSize);
    const storedBytes = recompressed.chunks.reduce((sum, chunk) => sum + chunk.storedSize, 0);
    expect(storedBytes).toBeLessThan(fastBytes * 0.95);
    await verifyChunks(server, recompressed);
    const leftovers = readdirSync(join(dataDir, 'chunks'), { recursive: true }).filter((name) =>
      String(name).includes('.tmp-'),
    );
    expect(leftovers).toEqual([]);

    // 5. Nothing is left below the store's level: the next start has nothing to do.
    server = await restart(STORE);
    await waitFor('the image list after the restart', async () =>
      (await api(server.management, '/api/images', { token: admin })).status === 200 ? true : undefined,
    );
    expect((await imageOf(server, captured.id)).recompression).toBeNull();
  }, 300_000);
});

/**
 * Images on a shared store (issue 21): IMAGE_STORE_URL=s3:// (s3rver, the real AWS SDK client)
 * and file:// (a folder both instances use). On PostgreSQL two server instances share the
 * database and the store: uploads go to A, downloads (Range, the real bundle's chunked install)
 * come from B. SQLite is one instance by design, so there A serves both roles.
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChunkManifest, ImageDto } from '@rpi-deploy/contracts';
import { startTestS3, uploadFile, zstdNode, type TestS3Server } from '@rpi-deploy/test-kit';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from '../../server/test/support/test-server';
import { testDatabases } from '../../server/test/support/test-databases';
import { expireDownloadLeases, sweepReleasedImages } from '../../server/test/support/image-store-probes';
import { buildInstallFixture, installerArgs, makeCard, type InstallFixture } from './support/install-fixture';
import { differingBlocks } from './support/card-checks';
import { expectExit, runInstaller } from './support/run-installer';

jest.setTimeout(240_000);

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let fixture: InstallFixture;
let s3: TestS3Server;
let node24: string;

beforeAll(async () => {
  fixture = buildInstallFixture('object-store');
  s3 = await startTestS3();
  node24 = zstdNode();
});
afterAll(async () => {
  await s3?.close();
  fixture?.remove();
});

const stores = [
  { kind: 's3', url: () => s3.storeUrl(`run-${process.pid}-${Date.now()}`) },
  { kind: 'file', url: () => `file://${mkdtempSync(join(tmpdir(), 'shared-store-'))}` },
] as const;

describe.each(testDatabases())('the shared image store on $name', (database) => {
  describe.each(stores)('IMAGE_STORE_URL=$kind', (store) => {
    let a: TestServer;
    let b: TestServer;
    let storeUrl: string;
    let token: string;
    let image: ImageDto;

    /** The keys (s3) or files (file://) the store holds now, relative to its prefix or folder. */
    const stored = async (): Promise<string[]> => {
      const url = new URL(storeUrl);
      if (store.kind === 'file') {
        const { readdirSync } = await import('node:fs');
        return readdirSync(url.pathname, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => join(entry.parentPath, entry.name).slice(url.pathname.length + 1));
      }
      const client = new S3Client({
        region: 'us-east-1',
        endpoint: url.searchParams.get('endpoint')!,
        forcePathStyle: true,
      });
      const prefix = url.pathname.slice(1);
      const listed = await client.send(new ListObjectsV2Command({ Bucket: url.hostname, Prefix: `${prefix}/` }));
      client.destroy();
      return (listed.Contents ?? []).map((object) => object.Key!.slice(prefix.length + 1));
    };

    beforeAll(async () => {
      storeUrl = store.url();
      const databaseUrl = await database.create();
      a = await bootTestServer({ DATABASE_URL: databaseUrl, IMAGE_STORE_URL: storeUrl });
      b =
        database.name === 'postgres'
          ? await bootTestServer({ DATABASE_URL: databaseUrl, IMAGE_STORE_URL: storeUrl })
          : a;
      token = (await login(a.management, 'admin', ADMIN_PASSWORD)).accessToken;
      await api(a.management, '/api/venues', { method: 'POST', token, body: { code: 'CORO', name: 'Corona' } });
    });
    afterAll(async () => {
      if (b !== a) await b?.close();
      await a?.close();
      await database.dropAll();
      if (store.kind === 'file') rmSync(new URL(storeUrl).pathname, { recursive: true, force: true });
    });

    it('keeps an upload on A in the store: image, block map and every chunk, and nothing of it in DATA_DIR', async () => {
      const answer = await uploadFile({
        url: `${a.management}/api/images`,
        token,
        fields: { product: 'RXP2', version: '1.0.0' },
        filePath: fixture.forms.xz.path,
      });
      expect(answer.status).toBe(201);
      image = answer.body as ImageDto;
      const keys = await stored();
      expect(keys).toEqual(expect.arrayContaining([`images/${image.filename}`, `images/${image.filename}.bmap`]));
      const manifest = (await (await fetch(`${b.deployment}/images/${image.filename}.chunks`)).json()) as ChunkManifest;
      for (const chunk of manifest.chunks) {
        expect(keys).toContain(`chunks/${chunk.sha256.slice(0, 2)}/${chunk.sha256}.zst`);
      }
      if (store.kind === 's3') expect(existsSync(join(a.dataDir, 'images', image.filename))).toBe(false);
    });

    it('serves the image from B whole and by ranges, as an installer resuming a download asks', async () => {
      const whole = Buffer.from(await (await fetch(`${b.deployment}/images/${image.filename}`)).arrayBuffer());
      expect(whole.length).toBe(image.size);
      expect(sha256(whole)).toBe(image.sha256);
      expect(whole.equals(readFileSync(fixture.image.path))).toBe(true);

      const from = 5 * 2 ** 20 + 17;
      const resumed = await fetch(`${b.deployment}/images/${image.filename}`, {
        headers: { Range: `bytes=${from}-`, 'If-Range': `"${image.sha256}"` },
      });
      expect(resumed.status).toBe(206);
      expect(resumed.headers.get('content-range')).toBe(`bytes ${from}-${image.size - 1}/${image.size}`);
      expect(Buffer.from(await resumed.arrayBuffer()).equals(whole.subarray(from))).toBe(true);

      const outside = await fetch(`${b.deployment}/images/${image.filename}`, {
        headers: { Range: `bytes=${image.size + 10}-` },
      });
      expect(outside.status).toBe(416);
      const bmap = await fetch(`${b.deployment}/images/${image.filename}.bmap`);
      expect(bmap.status).toBe(200);
      expect(await bmap.text()).toContain('<bmap');
    });

    it('lets the real installer bundle on B install from chunks out of the store, byte for byte', async () => {
      await api(a.management, `/api/images/${image.id}/activate`, { method: 'POST', token });
      const card = makeCard(fixture.dir, `store-${store.kind}-${database.name}.card`, 128 << 20, 'blank');
      const run = await runInstaller(
        installerArgs({ url: b.deployment }, card, '--product', 'RXP2', '--venue', 'CORO'),
        120_000,
        node24,
      );
      expectExit(run, 0);
      expect(run.output).toMatch(/chunks/);
      expect(differingBlocks(card, fixture.image).outsidePartitions).toEqual([]);
    });

    it('keeps an image deleted on A while B serves a download of it, and frees it once that download ends', async () => {
      const second = await uploadFile({
        url: `${a.management}/api/images`,
        token,
        fields: { product: 'RXP2', version: '2.0.0' },
        filePath: fixture.forms.zstd.path,
      });
      expect(second.status).toBe(201);
      const doomed = second.body as ImageDto;
      // The same bytes as 1.0.0: its chunks are shared, so only its image and block map may go.
      const manifest = (await (
        await fetch(`${b.deployment}/images/${doomed.filename}.chunks`)
      ).json()) as ChunkManifest;
      const chunkUrl = `${b.deployment}/chunks/${manifest.chunks[0]!.sha256}.zst`;

      // The download has begun on B (its manifest request took a lease), the delete comes to A.
      expect((await api(a.management, `/api/images/${doomed.id}`, { method: 'DELETE', token })).status).toBe(204);
      expect((await api(a.management, `/api/images/${doomed.id}`, { token })).status).toBe(404);
      expect(await stored()).toEqual(expect.arrayContaining([`images/${doomed.filename}`]));
      expect((await fetch(chunkUrl)).status).toBe(200);
      // Sweeps on either instance leave it while the lease lives.
      await sweepReleasedImages(b.server.app);
      expect(await stored()).toContain(`images/${doomed.filename}`);

      // The download ends (its lease runs out); the next sweep, on any instance, frees the bytes.
      await expireDownloadLeases(a.server.app, doomed.id);
      await sweepReleasedImages(b.server.app);
      const after = await stored();
      expect(after).not.toContain(`images/${doomed.filename}`);
      expect(after).not.toContain(`images/${doomed.filename}.bmap`);
      // The chunks 1.0.0 still uses stay.
      expect(after).toContain(`chunks/${manifest.chunks[0]!.sha256.slice(0, 2)}/${manifest.chunks[0]!.sha256}.zst`);
      expect((await fetch(`${b.deployment}/images/${doomed.filename}`)).status).toBe(404);
    });

    if (store.kind === 's3') {
      it('answers 503 with what to do when the store is down, and records nothing', async () => {
        const before = (await api(a.management, '/api/images', { token })).body as ImageDto[];
        await s3.stop();
        try {
          const answer = await uploadFile({
            url: `${a.management}/api/images`,
            token,
            fields: { product: 'RXP2', version: '3.0.0' },
            filePath: fixture.forms.gzip.path,
          });
          expect(answer.status).toBe(503);
          expect(JSON.stringify(answer.body)).toMatch(/image store .*not reachable.*IMAGE_STORE_URL/);
          const download = await fetch(`${b.deployment}/images/${image.filename}`);
          expect(download.status).toBe(503);
        } finally {
          await s3.start();
        }
        expect((await api(a.management, '/api/images', { token })).body).toEqual(before);
      });
    }
  });
});

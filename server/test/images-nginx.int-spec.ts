import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChunkManifest, ImageDto } from '@rpi-deploy/contracts';
import { startDeploymentNginx, type RunningNginx } from '@rpi-deploy/test-kit';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { buildMbrImage } from './support/mbr-image';
import { ADMIN_PASSWORD, bootTestServer, login, type TestServer } from './support/test-server';

/** Production mode: the shipped nginx config in front, image bytes sent by nginx via X-Accel-Redirect. */
describe('image downloads through the shipped nginx config', () => {
  let t: TestServer;
  let nginx: RunningNginx;
  let work: string;
  let bytes: Buffer;
  let image: ImageDto;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'nginx-test-'));
    const built = buildMbrImage(work);
    bytes = readFileSync(built.path);
    t = await bootTestServer({ IMAGES_ACCEL_REDIRECT: '/_images/', CHUNKS_ACCEL_REDIRECT: '/_chunks/' });
    nginx = await startDeploymentNginx(Number(new URL(t.deployment).port), join(t.dataDir, 'images'));
    const { accessToken } = await login(t.management, 'admin', ADMIN_PASSWORD);
    const response = await uploadMultipart({
      url: `${t.management}/api/images`,
      token: accessToken,
      fields: { product: 'RXP2', version: '2.0' },
      filePath: built.path,
    });
    image = response.body as ImageDto;
  });

  afterAll(async () => {
    await nginx?.stop();
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('lets the server look the image up and nginx send it, whole and in ranges', async () => {
    const whole = await fetch(`${nginx.url}/images/${image.filename}`);
    expect(whole.status).toBe(200);
    expect(
      createHash('sha256')
        .update(Buffer.from(await whole.arrayBuffer()))
        .digest('hex'),
    ).toBe(image.sha256);

    const range = await fetch(`${nginx.url}/images/${image.filename}`, { headers: { range: 'bytes=1000000-1000999' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 1000000-1000999/${image.size}`);
    expect(Buffer.from(await range.arrayBuffer()).equals(bytes.subarray(1000000, 1001000))).toBe(true);

    const bmap = await fetch(`${nginx.url}/images/${image.filename}.bmap`);
    expect(await bmap.text()).toMatch(/<ImageSize> 100663296 <\/ImageSize>/);
  });

  it('lets nginx send the chunk frames too, as the store holds them', async () => {
    const manifest = (await (await fetch(`${nginx.url}/images/${image.filename}.chunks`)).json()) as ChunkManifest;
    const [first] = manifest.chunks;
    const frame = await fetch(`${nginx.url}/chunks/${first!.sha256}.zst`);
    expect(frame.status).toBe(200);
    expect(frame.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const stored = readFileSync(join(t.dataDir, 'chunks', first!.sha256.slice(0, 2), `${first!.sha256}.zst`));
    expect(Buffer.from(await frame.arrayBuffer()).equals(stored)).toBe(true);
    const direct = await fetch(`${t.deployment}/chunks/${first!.sha256}.zst`);
    expect(direct.headers.get('x-accel-redirect')).toBe(`/_chunks/${first!.sha256.slice(0, 2)}/${first!.sha256}.zst`);
    expect((await fetch(`${nginx.url}/_chunks/${first!.sha256.slice(0, 2)}/${first!.sha256}.zst`)).status).toBe(404);
  });

  it('answers the API through nginx and hides the internal location', async () => {
    expect(await (await fetch(`${nginx.url}/health`)).json()).toMatchObject({ status: 'ok', listener: 'deployment' });
    expect((await fetch(`${nginx.url}/images/rxp2-000000000000.img`)).status).toBe(404);
    expect((await fetch(`${nginx.url}/_images/${image.filename}`)).status).toBe(404);
  });

  it('has the server itself answer with the redirect header only', async () => {
    const direct = await fetch(`${t.deployment}/images/${image.filename}`);
    expect(direct.headers.get('x-accel-redirect')).toBe(`/_images/${image.filename}`);
    expect((await direct.arrayBuffer()).byteLength).toBe(0);
  });
});

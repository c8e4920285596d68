/**
 * The netboot runtime bundle (second stage of the initramfs) on the deployment listener: the
 * real server on loopback serving a bundle file from NETBOOT_BUILD_DIR, as the first stage and
 * resuming downloaders fetch it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootTestServer, type TestServer } from './support/test-server';

const URL_PATH = '/netboot/runtime.tar.zst';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('netboot runtime bundle', () => {
  let buildDir: string;
  let t: TestServer;
  let bundle: Buffer;

  beforeAll(async () => {
    buildDir = mkdtempSync(join(tmpdir(), 'rpi-deploy-netboot-'));
    t = await bootTestServer({ NETBOOT_BUILD_DIR: buildDir });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(buildDir, { recursive: true, force: true });
  });

  it('answers 404 saying how to build it while it is not built', async () => {
    const response = await fetch(`${t.deployment}${URL_PATH}`);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { message: string };
    expect(body.message).toContain('npm run build:initramfs');
    expect((await fetch(`${t.deployment}${URL_PATH}.sha256`)).status).toBe(404);
  });

  it('serves the whole bundle with its length and its SHA-256 as a strong ETag', async () => {
    bundle = randomBytes(3 << 20);
    writeFileSync(join(buildDir, 'runtime.tar.zst'), bundle);

    const response = await fetch(`${t.deployment}${URL_PATH}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(bundle.length));
    expect(response.headers.get('etag')).toBe(`"${sha256(bundle)}"`);
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await response.arrayBuffer()).equals(bundle)).toBe(true);

    const checksum = await fetch(`${t.deployment}${URL_PATH}.sha256`);
    expect(await checksum.text()).toBe(`${sha256(bundle)}  runtime.tar.zst\n`);
  });

  it('answers HEAD with the headers only', async () => {
    const response = await fetch(`${t.deployment}${URL_PATH}`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(bundle.length));
    expect(response.headers.get('etag')).toBe(`"${sha256(bundle)}"`);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it('resumes with Range, honours If-Range and refuses ranges past the end', async () => {
    const etag = `"${sha256(bundle)}"`;
    const start = 1_000_000;
    const partial = await fetch(`${t.deployment}${URL_PATH}`, {
      headers: { range: `bytes=${start}-`, 'if-range': etag },
    });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe(`bytes ${start}-${bundle.length - 1}/${bundle.length}`);
    expect(Buffer.from(await partial.arrayBuffer()).equals(bundle.subarray(start))).toBe(true);

    // A range against another build's ETag must not splice two bundles: the whole new one comes back.
    const stale = await fetch(`${t.deployment}${URL_PATH}`, {
      headers: { range: `bytes=${start}-`, 'if-range': `"${'0'.repeat(64)}"` },
    });
    expect(stale.status).toBe(200);
    expect(Number(stale.headers.get('content-length'))).toBe(bundle.length);
    await stale.arrayBuffer();

    const beyond = await fetch(`${t.deployment}${URL_PATH}`, { headers: { range: `bytes=${bundle.length + 10}-` } });
    expect(beyond.status).toBe(416);
  });

  it('serves a rebuilt bundle with its new checksum', async () => {
    const rebuilt = randomBytes(1 << 20);
    const tmp = join(buildDir, 'runtime.tar.zst.tmp');
    writeFileSync(tmp, rebuilt);
    // The build replaces the file by renaming, as build.sh does.
    renameSync(tmp, join(buildDir, 'runtime.tar.zst'));

    const response = await fetch(`${t.deployment}${URL_PATH}`);
    expect(response.headers.get('etag')).toBe(`"${sha256(rebuilt)}"`);
    expect(Buffer.from(await response.arrayBuffer()).equals(rebuilt)).toBe(true);
    bundle = rebuilt;
  });

  it('is not on the management listener', async () => {
    const binary = { headers: { accept: 'application/octet-stream' } };
    expect((await fetch(`${t.management}${URL_PATH}`, binary)).status).toBe(404);
    expect((await fetch(`${t.management}${URL_PATH}.sha256`, binary)).status).toBe(404);
    // A browser-like request gets the dashboard (SPA fallback), never the bundle.
    const browser = await fetch(`${t.management}${URL_PATH}`);
    expect(browser.headers.get('etag')).not.toBe(`"${sha256(bundle)}"`);
    expect(browser.headers.get('content-type')).toMatch(/^text\/html/);
    await browser.arrayBuffer();
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageDto } from '@rpi-deploy/contracts';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { DownloadPool } from '../src/images/download/download-pool';
import { ADMIN_PASSWORD, bootTestServer, login, type TestServer } from './support/test-server';

const MiB = 1024 * 1024;

interface Download {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A plain HTTP/1.1 GET on a keep-alive agent, so the Connection header tells who answered. */
function download(url: string, headers: Record<string, string> = {}, agent = new Agent({ keepAlive: true })) {
  return new Promise<Download>((resolve, reject) => {
    get(url, { headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    }).on('error', reject);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Large bodies leave the server process: a download worker is handed the connection and sends them. */
describe('image downloads sent by download workers', () => {
  let t: TestServer;
  let work: string;
  let bytes: Buffer;
  let url: string;
  let pool: DownloadPool;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'download-workers-test-'));
    // Random through and through: bytes from the wrong place or an overwritten buffer cannot match.
    bytes = randomBytes(24 * MiB + 12345);
    writeFileSync(join(work, 'random.img'), bytes);
    t = await bootTestServer();
    const { accessToken } = await login(t.management, 'admin', ADMIN_PASSWORD);
    const upload = await uploadMultipart({
      url: `${t.management}/api/images`,
      token: accessToken,
      fields: { product: 'KXP2', version: 'workers' },
      filePath: join(work, 'random.img'),
    });
    url = `${t.deployment}/images/${(upload.body as ImageDto).filename}`;
    pool = t.server.app.get(DownloadPool);
  });

  afterAll(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('sends a whole image from a worker, byte-exactly, and closes the connection after it', async () => {
    expect(pool.pids()).toEqual([]); // started by the first download, not by the server's start
    const response = await download(url);
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({
      'content-length': String(bytes.length),
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
      connection: 'close',
    });
    expect(response.headers.etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(response.body.equals(bytes)).toBe(true);
    expect(pool.pids().length).toBeGreaterThan(0);
    expect(pool.pids().every(alive)).toBe(true);
  });

  it.each([
    ['within one read', `bytes=${MiB + 7}-${3 * MiB - 1}`, MiB + 7, 3 * MiB - 1],
    ['across many reads, unaligned', `bytes=123457-${17 * MiB + 99}`, 123457, 17 * MiB + 99],
    ['to the end', `bytes=${20 * MiB + 1}-`, 20 * MiB + 1, 24 * MiB + 12344],
    ['a suffix', `bytes=-${2 * MiB + 3}`, 22 * MiB + 12342, 24 * MiB + 12344],
  ])('sends a long range %s byte-exactly with 206', async (_name, range, start, end) => {
    const response = await download(url, { range });
    expect(response.status).toBe(206);
    expect(response.headers['content-range']).toBe(`bytes ${start}-${end}/${bytes.length}`);
    expect(response.headers['content-length']).toBe(String(end - start + 1));
    expect(response.headers.connection).toBe('close');
    expect(response.body.equals(bytes.subarray(start, end + 1))).toBe(true);
  });

  it('sends short ranges itself and keeps that connection open', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await download(url, { range: 'bytes=100-199' }, agent);
    const second = await download(url, { range: `bytes=${MiB}-${MiB + 4095}` }, agent);
    expect(first.headers.connection).toBe('keep-alive');
    expect(first.body.equals(bytes.subarray(100, 200))).toBe(true);
    expect(second.body.equals(bytes.subarray(MiB, MiB + 4096))).toBe(true);
    agent.destroy();
  });

  it('sends many downloads at once without mixing up their bytes', async () => {
    const starts = Array.from({ length: 12 }, (_, i) => i * 2 * MiB + i * 999);
    const responses = await Promise.all(starts.map((start) => download(url, { range: `bytes=${start}-` })));
    responses.forEach((response, i) => {
      expect(response.status).toBe(206);
      expect(response.body.equals(bytes.subarray(starts[i]))).toBe(true);
    });
  });

  it('replaces a worker that died', async () => {
    const [victim] = pool.pids();
    process.kill(victim, 'SIGKILL');
    for (let i = 0; i < 100 && pool.pids().includes(victim); i++) await new Promise((r) => setTimeout(r, 20));
    const response = await download(url);
    expect(response.body.equals(bytes)).toBe(true);
    expect(pool.pids()).not.toContain(victim);
    expect(pool.pids().length).toBeGreaterThan(0);
  });

  it('ends its workers when the server stops', async () => {
    const pids = pool.pids();
    expect(pids.length).toBeGreaterThan(0);
    await t.close();
    t = undefined as unknown as TestServer;
    expect(pids.filter(alive)).toEqual([]);
  });
});

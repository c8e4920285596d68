import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket as NetSocket } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { SOCKET_EVENTS, type ImageProgressEvent } from '@rpi-deploy/contracts';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

/**
 * 512 MiB of zeros packed by `xz -T1 --lzma2=dict=1536MiB` (78 KB; making it takes minutes and
 * 4.7 GB of memory, so it is kept here): unpacking it needs a 1.5 GiB dictionary.
 */
const HUGE_DICTIONARY_XZ = join(__dirname, 'fixtures', 'huge-dictionary.img.xz');
const MiB = 1024 * 1024;
/** The uncompressed-size cap this suite's server runs with. */
const MAX_IMAGE = 16 * MiB;

interface Answer {
  status: number;
  body: { message?: string | string[] } & Record<string, unknown>;
  headers: IncomingHttpHeaders;
  socket: NetSocket;
}

/** A POST of `body` as given (however malformed), on `agent`'s keep-alive connections. */
function post(url: string, headers: Record<string, string>, body: Buffer, agent: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-length': String(body.length), ...headers } });
    let answered = false;
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        answered = true;
        const text = Buffer.concat(chunks).toString();
        let parsed: Answer['body'];
        try {
          parsed = JSON.parse(text) as Answer['body'];
        } catch {
          parsed = { text };
        }
        resolve({ status: response.statusCode ?? 0, body: parsed, headers: response.headers, socket: req.socket! });
      });
    });
    req.end(body);
  });
}

/** A multipart body: the text fields, then `file` as the part named "file". */
function multipart(boundary: string, fields: Record<string, string>, file: Buffer): Buffer {
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return Buffer.concat([
    Buffer.from(
      `${parts.join('')}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.img"\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

const messageOf = (answer: Answer) => [answer.body.message].flat().join('\n');

/** Resident memory of this process (the server runs in it) and of every process it started. */
function treeRss(pid = process.pid): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  let rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    let children = '';
    try {
      children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    for (const child of children.split(' ').filter(Boolean)) {
      try {
        rss += treeRss(Number(child));
      } catch {
        // the child ended between the listing and the read
      }
    }
  }
  return rss;
}

function connect(url: string, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, { path: '/socket.io', transports: ['websocket'], auth: { token }, reconnection: false });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** A server under test, with an operator's keep-alive connection and dashboard socket. */
class UploadHarness {
  readonly progress: ImageProgressEvent[] = [];
  private token = '';
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private socket?: Socket;

  private constructor(readonly t: TestServer) {}

  static async boot(env: Record<string, string | undefined>): Promise<UploadHarness> {
    const harness = new UploadHarness(await bootTestServer(env));
    harness.token = (await login(harness.t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    harness.socket = await connect(harness.t.management, harness.token);
    harness.socket.on(SOCKET_EVENTS.imageProgress, (event: ImageProgressEvent) => harness.progress.push(event));
    return harness;
  }

  async close(): Promise<void> {
    this.socket?.close();
    this.agent.destroy();
    await this.t.close();
  }

  upload(body: Buffer, contentType = 'multipart/form-data; boundary=abc'): Promise<Answer> {
    const headers = { authorization: `Bearer ${this.token}`, 'content-type': contentType };
    return post(`${this.t.management}/api/images`, headers, body, this.agent);
  }

  uploadFile(file: Buffer, version = 'refused'): Promise<Answer> {
    return this.upload(multipart('abc', { product: 'KXP2', version }, file));
  }

  /** No image row, upload file, image file, chunk or half-written chunk stays behind. */
  async expectNothingLeft(): Promise<void> {
    expect((await api(this.t.management, '/api/images', { token: this.token })).body).toEqual([]);
    // Chunks still compressing when the refusal went out are removed just after it.
    const leftovers = () => [
      ...readdirSync(join(this.t.dataDir, 'images')),
      ...readdirSync(join(this.t.dataDir, 'chunks'), { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => `chunks/${entry.name}`),
    ];
    for (let i = 0; i < 50 && leftovers().length > 0; i += 1) await new Promise((r) => setTimeout(r, 100));
    expect(leftovers()).toEqual([]);
  }

  /** Both listeners answer, and the refused upload's connection serves the next request (or was closed). */
  async expectServerUp(refused: Answer): Promise<void> {
    const started = Date.now();
    const next = await new Promise<{ status: number; socket: NetSocket }>((resolve, reject) => {
      const req = request(`${this.t.management}/api/health`, { agent: this.agent }, (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, socket: req.socket! }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(next.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    if (refused.headers.connection !== 'close') expect(next.socket).toBe(refused.socket);
    expect((await fetch(`${this.t.deployment}/health`)).status).toBe(200);
  }

  /** The dashboards heard that the latest upload failed, with the reason, and nothing after that. */
  async expectAnnouncedFailed(message: RegExp): Promise<ImageProgressEvent> {
    const { progress } = this;
    for (let i = 0; i < 50 && progress.at(-1)?.stage !== 'failed'; i += 1) await new Promise((r) => setTimeout(r, 50));
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ stage: 'failed', uploadedBy: 'admin' });
    expect(last.error).toMatch(message);
    expect(progress.filter((event) => event.uploadId === last.uploadId && event.stage !== 'receiving')).toHaveLength(1);
    return last;
  }
}

describe.each(testDatabases())('refused image uploads on $name', (database) => {
  let h: UploadHarness;
  let work: string;

  /** Compressed files, made before the server starts (making them blocks this process, the server's). */
  const packed: Record<'random' | 'bomb' | 'window', string> = { random: '', bomb: '', window: '' };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'upload-limits-test-'));
    // Random data: every block is mapped, so chunks are cut until the cap is passed.
    packed.random = join(work, 'random.img');
    writeFileSync(packed.random, randomBytes(MAX_IMAGE + 8 * MiB));
    // 1 GiB of zeros in some 40 KB.
    packed.bomb = join(work, 'bomb.img');
    execFileSync('truncate', ['-s', '1G', packed.bomb]);
    // Needs a 1 GiB window to unpack.
    packed.window = join(work, 'window.img');
    execFileSync('truncate', ['-s', '300M', packed.window]);
    for (const [name, path] of Object.entries(packed)) {
      execFileSync('zstd', ['-q', '-1', ...(name === 'window' ? ['--long=30'] : []), path, '-o', `${path}.zst`]);
      rmSync(path);
    }

    h = await UploadHarness.boot({
      DATABASE_URL: await database.create(),
      IMAGE_MAX_SIZE_BYTES: String(MAX_IMAGE),
      CHUNK_ZSTD_LEVEL: '3',
    });
  });

  afterAll(async () => {
    await h?.close();
    await database.dropAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('answers a multipart body that ends without its closing boundary with 400 and stays up', async () => {
    const body = Buffer.from('--abc\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nxxxx');
    const answer = await h.upload(body);
    expect(answer.status).toBe(400);
    expect(messageOf(answer)).toMatch(/cut short or malformed/);
    await h.expectServerUp(answer);
    await h.expectAnnouncedFailed(/cut short or malformed/);
    await h.expectNothingLeft();
  });

  it('answers multipart without a boundary with 400', async () => {
    const answer = await h.upload(Buffer.from('--abc\r\n'), 'multipart/form-data');
    expect(answer.status).toBe(400);
    expect(messageOf(answer)).toMatch(/boundary/);
    await h.expectServerUp(answer);
    await h.expectAnnouncedFailed(/boundary/);
    await h.expectNothingLeft();
  });

  it.each([
    ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
    ['gzip', [0x1f, 0x8b]],
    // A frame header with a small window, then a block of the reserved type: random header bits
    // could instead ask for a window beyond the memory limit, a refusal of its own.
    ['zstd', [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00, 0x06, 0x00, 0x00]],
  ])('answers %s magic followed by garbage with 400 saying the stream is damaged', async (_format, magic) => {
    const answer = await h.uploadFile(Buffer.concat([Buffer.from(magic), randomBytes(64 * 1024)]));
    expect(answer.status).toBe(400);
    expect(messageOf(answer)).toMatch(/The compressed image is damaged/);
    await h.expectServerUp(answer);
    await h.expectAnnouncedFailed(/damaged/);
    await h.expectNothingLeft();
  });

  it('refuses an image that unpacks beyond IMAGE_MAX_SIZE_BYTES with 413 and frees the chunks it cut', async () => {
    const answer = await h.uploadFile(readFileSync(`${packed.random}.zst`));
    expect(answer.status).toBe(413);
    expect(messageOf(answer)).toMatch(/unpacks to more than 16.0 MiB: raise IMAGE_MAX_SIZE_BYTES/);
    await h.expectServerUp(answer);
    await h.expectAnnouncedFailed(/IMAGE_MAX_SIZE_BYTES/);
    await h.expectNothingLeft();
  });

  it('stops unpacking a compression bomb as soon as it passes the cap', async () => {
    const bomb = readFileSync(`${packed.bomb}.zst`);
    expect(bomb.length).toBeLessThan(MiB);
    const answer = await h.uploadFile(bomb);
    expect(answer.status).toBe(413);
    const failed = await h.expectAnnouncedFailed(/IMAGE_MAX_SIZE_BYTES/);
    // Of the 1 GiB, no more than the cap was stored (the image is taken in 4 MiB steps).
    expect(failed.imageBytes).toBeGreaterThanOrEqual(MAX_IMAGE - 4 * MiB);
    expect(failed.imageBytes).toBeLessThanOrEqual(MAX_IMAGE);
    await h.expectServerUp(answer);
    await h.expectNothingLeft();
  });

  it('refuses a zstd stream with a 1 GiB window', async () => {
    const answer = await h.uploadFile(readFileSync(`${packed.window}.zst`));
    expect(answer.status).toBe(400);
    expect(messageOf(answer)).toMatch(/needs more than 256.0 MiB of memory to unpack: recompress it with a smaller/);
    await h.expectServerUp(answer);
    await h.expectNothingLeft();
  });

  it('keeps the connection usable after refusing an upload before its body was read', async () => {
    // Refused on its fields while most of the 24 MiB are still to come.
    const body = multipart('abc', { product: 'KXP9', version: '1.0' }, randomBytes(24 * MiB));
    const answer = await h.upload(body);
    expect(answer.status).toBe(400);
    await h.expectServerUp(answer);
    await h.expectAnnouncedFailed(/product must be one of/);
    await h.expectNothingLeft();
  });

  it('still takes a good image afterwards', async () => {
    const image = randomBytes(2 * MiB);
    const answer = await h.uploadFile(image, '1.0.0');
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ size: image.length });
    expect(h.progress.at(-1)).toMatchObject({ stage: 'stored', version: '1.0.0' });
  });
});

/** With the default size cap (64 GiB), so that only the decoder's memory cap stands in the way. */
describe.each(testDatabases())('an xz stream with a 1.5 GiB dictionary on $name', (database) => {
  let h: UploadHarness;

  beforeAll(async () => {
    h = await UploadHarness.boot({ DATABASE_URL: await database.create() });
  });

  afterAll(async () => {
    await h?.close();
    await database.dropAll();
  });

  it('is refused without the memory jumping', async () => {
    expect(existsSync(HUGE_DICTIONARY_XZ)).toBe(true);
    const xz = readFileSync(HUGE_DICTIONARY_XZ);
    global.gc?.();
    const baseline = treeRss();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, treeRss())), 10);
    const answer = await h.uploadFile(xz).finally(() => clearInterval(sampler));
    process.stdout.write(
      `[upload-limits] huge xz dictionary: RSS of server and its decoders grew by ${((peak - baseline) / MiB).toFixed(0)} MiB\n`,
    );
    expect(answer.status).toBe(400);
    expect(messageOf(answer)).toMatch(/needs more than 256.0 MiB of memory to unpack: recompress it with a smaller/);
    expect(peak - baseline).toBeLessThan(100 * MiB);
    await h.expectServerUp(answer);
    await h.expectAnnouncedFailed(/smaller dictionary/);
    await h.expectNothingLeft();
  });
});

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ContractServer } from '../../test/support/contract-server';
import { makeWorkDir } from '../../test/support/work-dir';
import { downloadRange, type DownloadOptions } from './resumable-download';

const work = makeWorkDir('download');
const content = randomBytes(3 * 1024 * 1024 + 17);
const file = join(work.path, 'image.bin');
writeFileSync(file, content);
let server: ContractServer;

beforeEach(async () => {
  server = await ContractServer.start({
    image: { path: file, name: 'image.bin', compression: 'none', size: content.length, sha256: '0'.repeat(64) },
  });
});
afterEach(() => server.stop());
afterAll(() => work.remove());

function options(overrides: Partial<DownloadOptions> = {}): DownloadOptions & { logged: string[]; received: number } {
  const result = {
    retries: 3,
    retryDelayMs: 10,
    stallTimeoutMs: 2000,
    logged: [] as string[],
    received: 0,
    log: (line: string) => result.logged.push(line),
    onBytes: (count: number) => (result.received += count),
    ...overrides,
  };
  return result;
}

async function collect(pieces: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const piece of pieces) chunks.push(piece);
  return Buffer.concat(chunks);
}

/** A throw-away server for answers the contract server would never give. */
async function withServer(handler: RequestListener, run: (url: string) => Promise<void>): Promise<void> {
  const odd = createServer(handler).listen(0, '127.0.0.1');
  await once(odd, 'listening');
  try {
    await run(`http://127.0.0.1:${(odd.address() as AddressInfo).port}/image.bin`);
  } finally {
    odd.closeAllConnections();
    odd.close();
  }
}

describe('downloadRange', () => {
  it('resumes after cut connections from where each one stopped, with If-Range, and delivers every byte once', async () => {
    server.faults.imageGets.push(
      { bytes: 500_000, then: 'cut' },
      { bytes: 0, then: 'cut' },
      { bytes: 1_000_000, then: 'cut' },
    );
    const download = options();

    const received = await collect(downloadRange(`${server.url}/images/image.bin`, 0, undefined, {}, download));

    expect(received.equals(content)).toBe(true);
    expect(download.received).toBe(content.length);
    const [first, ...resumes] = server.imageRequests;
    expect(first).toMatchObject({ range: 'bytes=0-', ifRange: undefined, status: 206 });
    expect(resumes).toHaveLength(3);
    for (const resume of resumes) {
      expect(resume.ifRange).toMatch(/^".+"$/);
      expect(Number(/^bytes=(\d+)-$/.exec(resume.range ?? '')?.[1])).toBeGreaterThan(0);
    }
    expect(download.logged).toHaveLength(3);
  });

  it('fetches exactly [start, end) and resumes inside it', async () => {
    server.faults.imageGets.push({ bytes: 1000, then: 'cut' });
    const received = await collect(downloadRange(`${server.url}/images/image.bin`, 4096, 204_800, {}, options()));
    expect(received.equals(content.subarray(4096, 204_800))).toBe(true);
    expect(server.imageRequests[0].range).toBe('bytes=4096-204799');
    expect(server.imageRequests[1].range).toMatch(/^bytes=\d+-204799$/);
  });

  it('drops a stalled connection after the stall timeout and resumes', async () => {
    server.faults.imageGets.push({ bytes: 100_000, then: 'stall' });
    const download = options({ stallTimeoutMs: 300 });
    const received = await collect(downloadRange(`${server.url}/images/image.bin`, 0, undefined, {}, download));
    expect(received.equals(content)).toBe(true);
    expect(download.logged[0]).toMatch(/^download interrupted at byte \d+ \(no data for 0.3 s\); resuming in/);
  });

  it('does not count the time the consumer holds back (a busy card) as a stall', async () => {
    // Held back three times the stall timeout, twice; a loaded CI machine still answers well within it.
    const download = options({ stallTimeoutMs: 500 });
    const chunks: Buffer[] = [];
    for await (const piece of downloadRange(`${server.url}/images/image.bin`, 0, undefined, {}, download)) {
      chunks.push(piece);
      if (chunks.length <= 2) await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    expect(Buffer.concat(chunks).equals(content)).toBe(true);
    expect(download.logged).toEqual([]);
    expect(server.imageRequests).toHaveLength(1);
  });

  it('gives up after the retry budget when no attempt makes progress', async () => {
    server.faults.imageGets.push(...Array.from({ length: 10 }, () => ({ bytes: 0, then: 'cut' as const })));
    await expect(
      collect(downloadRange(`${server.url}/images/image.bin`, 0, undefined, {}, options({ retries: 2 }))),
    ).rejects.toThrow(/^download failed: .+ \(at byte 0 of http:.+\/images\/image.bin, 2 retries used\)$/);
    expect(server.imageRequests).toHaveLength(3);
  });

  it('fails at once, without retrying, when the image is not there', async () => {
    await expect(collect(downloadRange(`${server.url}/images/other.bin`, 0, undefined, {}, options()))).rejects.toThrow(
      /the image is not on the server \(HTTP 404\)/,
    );
  });

  it('never mixes two versions of an image: a changed ETag stops the download', async () => {
    let requests = 0;
    await withServer(
      (req, res) => {
        requests += 1;
        if (requests === 1) {
          res.writeHead(206, {
            etag: '"v1"',
            'content-range': `bytes 0-${content.length - 1}/${content.length}`,
            'content-length': content.length,
          });
          res.write(content.subarray(0, 1000), () => res.destroy());
        } else {
          // If-Range "v1" no longer matches: a full answer of the new image.
          res.writeHead(200, { etag: '"v2"', 'content-length': content.length }).end(content);
        }
      },
      async (url) => {
        await expect(collect(downloadRange(url, 0, undefined, {}, options()))).rejects.toThrow(
          /the image changed on the server during the download \(ETag "v1" became "v2"\)/,
        );
      },
    );
  });

  it('fails clearly when the server cannot resume (answers 200 to a Range request)', async () => {
    let requests = 0;
    await withServer(
      (req, res) => {
        requests += 1;
        res.writeHead(200, { 'content-length': content.length });
        if (requests === 1) res.write(content.subarray(0, 1000), () => res.destroy());
        else res.end(content);
      },
      async (url) => {
        await expect(collect(downloadRange(url, 0, undefined, {}, options()))).rejects.toThrow(
          /the server ignored the Range request .+ \(HTTP 200\), so the download cannot resume/,
        );
      },
    );
  });
});

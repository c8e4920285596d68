import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeBlockMap } from '@rpi-deploy/test-kit';
import { makeWorkDir } from '../../test/support/work-dir';
import { downloadBlockMap } from './block-map-download';

const work = makeWorkDir('block-map-download');
const imagePath = join(work.path, 'small.img');
const image = Buffer.alloc(1024 * 1024);
image.fill(5, 8192, 16384);
writeFileSync(imagePath, image);
writeBlockMap(imagePath, `${imagePath}.bmap`);
const bmap = readFileSync(`${imagePath}.bmap`);

/** Answers the block map requests with the scripted statuses first, then the map. */
let answers: number[] = [];
let requests = 0;
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((_req, res) => {
    requests += 1;
    const status = answers.shift() ?? 200;
    res.writeHead(status).end(status === 200 ? bmap : `status ${status}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/images/small.img.bmap`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  work.remove();
});
beforeEach(() => {
  requests = 0;
});

const fetchMap = (log: string[] = []) =>
  downloadBlockMap(
    { id: 1, version: 'v1', url: 'unused', bmapUrl: url, size: image.length, sha256: '0'.repeat(64) },
    { retries: 3, retryDelayMs: 10, log: (line) => log.push(line) },
  );

describe('downloadBlockMap', () => {
  it('waits out a server that is busy (429, 408, 503) and then reads the map', async () => {
    answers = [429, 408, 503];
    const log: string[] = [];
    const map = await fetchMap(log);
    expect(map.ranges.map((range) => [range.start, range.end])).toEqual([[8192, 16384]]);
    expect(requests).toBe(4);
    expect(log.map((line) => /\((HTTP \d+)\)/.exec(line)?.[1])).toEqual(['HTTP 429', 'HTTP 408', 'HTTP 503']);
  });

  it('gives up on a map that is not there at once', async () => {
    answers = [404];
    await expect(fetchMap()).rejects.toThrow(`the image's block map is not available (HTTP 404): ${url}`);
    expect(requests).toBe(1);
  });

  it('gives up once the retries are spent', async () => {
    answers = [503, 503, 503, 503];
    await expect(fetchMap()).rejects.toThrow(`could not download the block map ${url}: HTTP 503`);
    expect(requests).toBe(4);
  });
});

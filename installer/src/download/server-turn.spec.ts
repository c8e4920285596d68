import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { downloadRange } from './resumable-download';
import { ServerTurn } from './server-turn';

const body = randomBytes(200_000);

/** A server with a line: two 503s with Retry-After and a place, then the bytes. */
async function withQueueingServer(run: (url: string, asked: Array<{ at: number; unit?: string }>) => Promise<void>) {
  const asked: Array<{ at: number; unit?: string }> = [];
  const server = createServer((request, response) => {
    asked.push({ at: Date.now(), unit: request.headers['x-rpi-deploy-unit'] as string | undefined });
    if (asked.length <= 2) {
      response.writeHead(503, { 'retry-after': '1', 'x-queue-position': String(4 - asked.length) });
      response.end('{"message":"busy"}');
      return;
    }
    response.writeHead(200, { 'content-length': String(body.length), etag: '"x"' });
    response.end(body);
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/image.bin`, asked);
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

describe('waiting in the server line', () => {
  it('honours Retry-After without spending retries, names the unit, and tells its place', async () => {
    await withQueueingServer(async (url, asked) => {
      const places: Array<number | null> = [];
      const logged: string[] = [];
      const turn = new ServerTurn('deployment-7', (place) => places.push(place));
      const pieces: Buffer[] = [];
      const options = {
        retries: 0, // a 503 with Retry-After is no failure: none are needed
        retryDelayMs: 10,
        stallTimeoutMs: 2000,
        log: (line: string) => logged.push(line),
        onBytes: () => undefined,
        turn,
      };
      for await (const piece of downloadRange(url, 0, undefined, {}, options)) pieces.push(piece);

      expect(Buffer.concat(pieces).equals(body)).toBe(true);
      expect(asked.map((request) => request.unit)).toEqual(['deployment-7', 'deployment-7', 'deployment-7']);
      // Each question comes after the Retry-After of the answer before it.
      expect(asked[1].at - asked[0].at).toBeGreaterThanOrEqual(950);
      expect(asked[2].at - asked[1].at).toBeGreaterThanOrEqual(950);
      expect(places).toEqual([3, 2, null]);
      expect(logged).toEqual([
        'waiting for the network, 3rd in line; asking the server again in 1 s',
        'waiting for the network, 2nd in line; asking the server again in 1 s',
      ]);
    });
  });

  it('holds back every download of the install until the Retry-After has passed', async () => {
    const turn = new ServerTurn('deployment-8');
    turn.wait(1, 5);
    const started = Date.now();
    await Promise.all([turn.ready(), turn.ready()]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A frame to send, or undefined for 404 (not held, or no longer what it was). */
export type FrameSource = (sha256: string) => Promise<Buffer | undefined>;

/**
 * The unit's chunk server for its neighbours: `GET` / `HEAD /chunks/<sha256>.zst` answers the zstd
 * frame of the chunk with that SHA-256, exactly the path the server's chunk store uses, so the
 * fetcher treats a peer like the server; anything else is 404. The fetcher checks every digest, so
 * this server needs no authentication: it only ever hands out bytes named by their hash.
 */
export class PeerServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(
    host: string,
    port: number,
    frames: FrameSource,
    log: (line: string) => void,
  ): Promise<PeerServer> {
    const server = createServer((request, response) => {
      const match = /^\/chunks\/([0-9a-f]{64})\.zst$/.exec(request.url ?? '');
      if (!match || (request.method !== 'GET' && request.method !== 'HEAD')) {
        response.writeHead(404).end();
        return;
      }
      frames(match[1]).then(
        (frame) => {
          if (!frame) {
            response.writeHead(404).end();
            return;
          }
          response.writeHead(200, { 'content-type': 'application/zstd', 'content-length': frame.length });
          response.end(request.method === 'HEAD' ? undefined : frame);
        },
        (error: Error) => {
          log(`peers: serving chunk ${match[1]} failed: ${error.message}`);
          response.writeHead(500).end();
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return new PeerServer(server, (server.address() as AddressInfo).port);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

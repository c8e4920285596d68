/**
 * One simulated unit's network link to the deployment listener: an HTTP proxy on its own
 * loopback port that limits the unit's image bandwidth, can drop the connection once or flip a
 * byte (the demo's faults), and watches the installer's traffic so the demo can say what the
 * unit is doing without asking the server.
 *
 * The image URL in the /api/config answer is rewritten to point at this proxy: the server hands
 * every unit the same DEPLOY_PUBLIC_URL, and without the rewrite the downloads would bypass the link.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import type { ConfigResponse, StatusReport } from '@rpi-deploy/contracts';
import { LinkRate, throttled } from './throttle';

export interface LinkFaults {
  /** Drop the image connection once, after this many image bytes. */
  cutAfterBytes?: number;
  /** Invert the image byte at this position of the unit's download (counted over all requests). */
  flipByteAt?: number;
}

export interface LinkObserver {
  onConfig?(config: ConfigResponse): void;
  onStatus?(report: StatusReport): void;
  onCut?(bytes: number): void;
  onFlip?(bytes: number): void;
}

export interface UnitLink {
  url: string;
  /** Image bytes that went through so far. */
  imageBytes(): number;
  close(): Promise<void>;
}

export async function openUnitLink(options: {
  deploymentUrl: string;
  bytesPerSecond: number;
  faults: LinkFaults;
  observer: LinkObserver;
}): Promise<UnitLink> {
  const upstream = new URL(options.deploymentUrl);
  const rate = new LinkRate(options.bytesPerSecond);
  const faults = { ...options.faults };
  let imageBytes = 0;
  let url = '';

  const forward = (req: IncomingMessage, body: Buffer | undefined, answer: (response: IncomingMessage) => void) => {
    const outgoing = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      answer,
    );
    outgoing.on('error', () => req.socket.destroy());
    if (body) outgoing.end(body);
    else req.pipe(outgoing);
    return outgoing;
  };

  /** Image bytes: the faults applied at their byte positions; nothing passes after a cut. */
  const imageStream = (res: ServerResponse) => {
    let cut = false;
    return new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
        if (cut) return done();
        const start = imageBytes;
        imageBytes += chunk.length;
        if (faults.flipByteAt !== undefined && faults.flipByteAt < imageBytes) {
          chunk = Buffer.from(chunk);
          chunk[faults.flipByteAt - start] ^= 0xff;
          options.observer.onFlip?.(faults.flipByteAt);
          faults.flipByteAt = undefined;
        }
        if (faults.cutAfterBytes !== undefined && faults.cutAfterBytes < imageBytes) {
          const kept = faults.cutAfterBytes - start;
          options.observer.onCut?.(faults.cutAfterBytes);
          faults.cutAfterBytes = undefined;
          cut = true;
          imageBytes = start + kept;
          // Let the kept bytes reach the installer, then pull the plug mid-response.
          this.push(chunk.subarray(0, kept));
          setTimeout(() => res.destroy(), 50);
          return done();
        }
        done(null, chunk);
      },
    });
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && (path === '/api/config' || path === '/api/status')) {
      readAll(req).then(
        (body) => {
          if (path === '/api/status') options.observer.onStatus?.(parseJson(body) as StatusReport);
          forward(req, body, (response) => {
            if (path === '/api/status') return relay(response, res);
            readAll(response).then(
              (answer) => {
                const config =
                  response.statusCode === 200 ? (parseJson(answer) as ConfigResponse | undefined) : undefined;
                if (!config?.image) return replay(response, res, answer);
                config.image.url = sameFileAt(config.image.url, url);
                if (config.image.bmapUrl) config.image.bmapUrl = sameFileAt(config.image.bmapUrl, url);
                options.observer.onConfig?.(config);
                replay(response, res, Buffer.from(JSON.stringify(config)));
              },
              () => res.destroy(),
            );
          });
        },
        () => req.socket.destroy(),
      );
      return;
    }
    const outgoing = forward(req, undefined, (response) => {
      const isImage = req.method === 'GET' && path.startsWith('/images/') && !path.endsWith('.bmap');
      if (!isImage) return relay(response, res);
      res.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(throttled(rate)).pipe(imageStream(res)).pipe(res);
    });
    // The installer gave up on this request (stall, or it was cut): stop the server side too.
    res.on('close', () => {
      if (!res.writableFinished) outgoing.destroy();
    });
  });

  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    imageBytes: () => imageBytes,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function relay(response: IncomingMessage, res: ServerResponse): void {
  res.writeHead(response.statusCode ?? 502, response.headers);
  response.pipe(res);
}

function replay(response: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const headers = { ...response.headers, 'content-length': String(body.length) };
  delete headers['transfer-encoding'];
  res.writeHead(response.statusCode ?? 502, headers);
  res.end(body);
}

function sameFileAt(address: string, origin: string): string {
  const original = new URL(address);
  return new URL(original.pathname + original.search, origin).toString();
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => done(Buffer.concat(chunks)));
    stream.on('error', fail);
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString());
  } catch {
    return undefined;
  }
}

/**
 * A stand-in for the deployment listener of the rpi-deploy server, exactly as far as the installer
 * contract goes (libs/contracts deployments.ts, docs/interfaces.md "Deployment API"), on node:http
 * only, with faults a test can inject. It serves what the real server never does (compressed
 * streams, images without a block map); the other installer tests run against the real server,
 * and the same assertions hold against either.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import {
  DEPLOYMENT_STATUSES,
  allowedNextStatuses,
  isAllowedTransition,
  TERMINAL_DEPLOYMENT_STATUSES,
  type ConfigRequest,
  type ChunkManifest,
  type ConfigResponse,
  type ImageChunk,
  type DeploymentStatus,
  type ImageCompression,
  type StatusReport,
} from '@rpi-deploy/contracts';
import { compressChunk, type ChunkStore } from './chunk-store';

export interface ServedImage {
  /** The bytes served at /images/<name> (compressed when `compression` says so). */
  path: string;
  name: string;
  compression: ImageCompression;
  /** Of the uncompressed image. */
  size: number;
  sha256: string;
  version?: string;
  /** A bmaptool block map, served at /images/<name>.bmap. */
  bmapPath?: string;
  /** A chunk store: its manifest at /images/<name>.chunks (the config's manifestUrl), chunks at /chunks/<sha256>.zst. */
  chunks?: ChunkStore;
}

export interface Faults {
  /** Answered to POST /api/config, one per request, before the real answer. */
  configAnswers: Array<{ status: number; message: string }>;
  /**
   * One per GET of the image, in order: after `bytes` body bytes, `cut` the connection or `stall`
   * (send nothing more and leave the connection open).
   */
  imageGets: Array<{ bytes: number; then: 'cut' | 'stall' }>;
  /** Serve the image with the byte at this offset (of the served file) flipped: a corrupt stored image. */
  flipByteAt?: number;
  /** Answer this many status reports with 503 before accepting them. */
  statusFailures: number;
  /**
   * Chunks (by SHA-256) served wrong for their next `times` GETs: `frame` flips a byte of the
   * stored zstd frame, `content` sends a valid frame of the chunk with one byte flipped.
   */
  badChunks: Map<string, { times: number; how: 'frame' | 'content' }>;
  /** Chunks (by SHA-256) answered with 404, as if deleted from the store. */
  missingChunks: Set<string>;
  /** Changes the manifest before it is served (a manifest that disagrees with the configuration). */
  editManifest?: (manifest: ChunkManifest) => void;
}

export interface ReceivedReport {
  report: StatusReport;
  authorization?: string;
  status: number;
}

export interface ImageRequest {
  method: string;
  path: string;
  range?: string;
  ifRange?: string;
  status: number;
  bytesSent: number;
}

interface Deployment {
  id: string;
  token: string;
  serial: string;
  mac: string;
  /** A deployment starts as `starting` when /api/config creates it, as on the server. */
  status: DeploymentStatus;
}

export class ContractServer {
  readonly faults: Faults = {
    configAnswers: [],
    imageGets: [],
    statusFailures: 0,
    badChunks: new Map(),
    missingChunks: new Set(),
  };
  readonly configRequests: ConfigRequest[] = [];
  /** Every POST /api/status, accepted or not, in arrival order. */
  readonly reports: ReceivedReport[] = [];
  readonly imageRequests: ImageRequest[] = [];
  readonly deployments = new Map<string, Deployment>();
  private readonly sockets = new Set<Socket>();
  private readonly etag: string;
  private readonly kartNumbers = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    readonly image: ServedImage | undefined,
    private readonly batch: { product: 'KXP2' | 'RXP2'; venue: string } | undefined,
    private readonly venues: string[],
  ) {
    // Like most servers: size and modification time identify the stored file's version.
    this.etag = image
      ? `"${statSync(image.path).size.toString(16)}-${Math.round(statSync(image.path).mtimeMs).toString(16)}"`
      : '';
  }

  static async start(options: {
    image?: ServedImage;
    batch?: { product: 'KXP2' | 'RXP2'; venue: string };
    venues?: string[];
  }): Promise<ContractServer> {
    const server = createServer();
    const contract = new ContractServer(
      server,
      options.image,
      options.batch ?? { product: 'RXP2', venue: 'CORO' },
      options.venues ?? ['CORO'],
    );
    server.on('connection', (socket) => {
      contract.sockets.add(socket);
      socket.on('close', () => contract.sockets.delete(socket));
    });
    server.on('request', (req, res) => {
      contract.handle(req, res).catch((error: Error) => {
        if (!res.headersSent) json(res, 500, { statusCode: 500, message: error.message });
        else res.destroy();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return contract;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The reports that were accepted, in order. */
  get acceptedReports(): StatusReport[] {
    return this.reports.filter((received) => received.status === 200).map((received) => received.report);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && path === '/health') return json(res, 200, { status: 'ok' });
    if (req.method === 'POST' && path === '/api/config') return this.config(res, await readJson(req));
    if (req.method === 'POST' && path === '/api/status') return this.status(req, res, await readJson(req));
    if ((req.method === 'GET' || req.method === 'HEAD') && this.image && path.startsWith('/images/')) {
      const name = decodeURIComponent(path.slice('/images/'.length));
      if (name === this.image.name) return this.serveImage(req, res, path);
      if (name === `${this.image.name}.bmap` && this.image.bmapPath)
        return this.serveFile(req, res, path, this.image.bmapPath);
      if (name === `${this.image.name}.chunks` && this.image.chunks) return this.serveManifest(req, res, path);
    }
    const chunk = /^\/chunks\/([0-9a-f]{64}(?:\.from-[0-9a-f]{64})?)\.zst$/.exec(path);
    if ((req.method === 'GET' || req.method === 'HEAD') && chunk && this.image?.chunks)
      return this.serveChunk(req, res, path, chunk[1]);
    json(res, 404, { statusCode: 404, message: `Cannot ${req.method} ${path}` });
  }

  private config(res: ServerResponse, body: unknown): void {
    const request = body as ConfigRequest;
    this.configRequests.push(request);
    const scripted = this.faults.configAnswers.shift();
    if (scripted) return json(res, scripted.status, { statusCode: scripted.status, message: scripted.message });

    const problems = [
      !(typeof request?.serial === 'string' && /^[0-9a-fA-F]{8,16}$/.test(request.serial)) &&
        'serial must be 8-16 hex digits',
      !(typeof request?.mac === 'string' && /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(request.mac)) &&
        'mac must look like aa:bb:cc:dd:ee:ff',
      request?.product !== undefined && !['KXP2', 'RXP2'].includes(request.product) && 'product must be KXP2 or RXP2',
      request?.venue !== undefined && !/^[A-Za-z0-9]{4}$/.test(request.venue) && 'venue must be 4 letters or digits',
      request?.storageBytes !== undefined &&
        !(Number.isSafeInteger(request.storageBytes) && request.storageBytes >= 0) &&
        'storageBytes must be a whole number',
    ].filter(Boolean);
    if (problems.length > 0) return json(res, 400, { statusCode: 400, message: problems });

    const product = request.product ?? this.batch?.product;
    const venue = (request.venue ?? this.batch?.venue)?.toUpperCase();
    if (!product || !venue) return json(res, 409, { statusCode: 409, message: 'no active deployment batch' });
    if (!this.venues.includes(venue)) return json(res, 404, { statusCode: 404, message: `unknown venue ${venue}` });
    if (!this.image) return json(res, 503, { statusCode: 503, message: `no active image for ${product}` });

    const deployment: Deployment = {
      id: randomUUID(),
      token: randomBytes(24).toString('hex'),
      serial: request.serial,
      mac: request.mac,
      status: 'starting',
    };
    this.deployments.set(deployment.id, deployment);
    // The same device (serial or MAC) gets the same kart number, hence the same hostname, again.
    const keys = [`serial:${request.serial.toLowerCase()}`, `mac:${request.mac.toLowerCase()}`];
    const kart =
      keys.map((key) => this.kartNumbers.get(key)).find(Boolean) ?? new Set(this.kartNumbers.values()).size + 1;
    for (const key of keys) this.kartNumbers.set(key, kart);
    const hostname =
      product === 'RXP2'
        ? `RXP2-${venue}-${request.serial.slice(-8).toUpperCase()}`
        : `KXP2-${venue}-${String(kart).padStart(3, '0')}`;
    const image = this.image;
    const response: ConfigResponse = {
      deploymentId: deployment.id,
      statusToken: deployment.token,
      hostname,
      product,
      venue,
      image: {
        id: 1,
        version: image.version ?? '1.0.0',
        url: `${this.url}/images/${encodeURIComponent(image.name)}`,
        size: image.size,
        sha256: image.sha256,
        compression: image.compression,
        transferSize: statSync(image.path).size,
        ...(image.bmapPath ? { bmapUrl: `${this.url}/images/${encodeURIComponent(image.name)}.bmap` } : {}),
        ...(image.chunks ? { manifestUrl: `${this.url}/images/${encodeURIComponent(image.name)}.chunks` } : {}),
      },
    };
    json(res, 200, response);
  }

  private status(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    const report = body as StatusReport;
    const authorization = req.headers.authorization;
    const answer = (status: number, payload: unknown) => {
      this.reports.push({ report, authorization, status });
      json(res, status, payload);
    };
    if (this.faults.statusFailures > 0) {
      this.faults.statusFailures -= 1;
      return answer(503, { statusCode: 503, message: 'injected failure' });
    }
    const problems = statusProblems(report);
    if (problems.length > 0) return answer(400, { statusCode: 400, message: problems });
    const deployment = this.deployments.get(report.deploymentId);
    if (!deployment) return answer(404, { statusCode: 404, message: `unknown deployment ${report.deploymentId}` });
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!token) {
      return answer(401, {
        statusCode: 401,
        message: 'Send the statusToken from /api/config as Authorization: Bearer <token>',
      });
    }
    if (token !== deployment.token) {
      return answer(403, { statusCode: 403, message: 'This token belongs to another deployment' });
    }
    if (!isAllowedTransition(deployment.status, report.status)) {
      const reason = TERMINAL_DEPLOYMENT_STATUSES.includes(deployment.status)
        ? `deployment already ${deployment.status}`
        : `cannot go from ${deployment.status} to ${report.status}: allowed ${allowedNextStatuses(deployment.status).join(', ')}`;
      return answer(409, { statusCode: 409, message: reason });
    }
    deployment.status = report.status;
    answer(200, { received: true });
  }

  private async serveImage(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const image = this.image as ServedImage;
    const interruption = req.method === 'GET' ? this.faults.imageGets.shift() : undefined;
    await this.serveFile(req, res, path, image.path, { interruption, flipAt: this.faults.flipByteAt });
  }

  private serveManifest(req: IncomingMessage, res: ServerResponse, path: string): void {
    const image = this.image as ServedImage & { chunks: ChunkStore };
    this.imageRequests.push({ method: req.method ?? 'GET', path, status: 200, bytesSent: 0 });
    const manifest: ChunkManifest = {
      format: 'rpi-deploy-chunks/1',
      imageSize: image.size,
      imageSha256: image.sha256,
      compression: 'zstd',
      chunkBaseUrl: `${this.url}/chunks`,
      chunks: image.chunks.chunks.map((chunk) => ({ ...chunk })),
    };
    this.faults.editManifest?.(manifest);
    json(res, 200, manifest);
  }

  /** A chunk's frame by its name (`<sha256>`), or a patch's (`<sha256>.from-<base>`). */
  private async serveChunk(req: IncomingMessage, res: ServerResponse, path: string, sha256: string): Promise<void> {
    const store = (this.image as ServedImage & { chunks: ChunkStore }).chunks;
    const file = join(store.dir, `${sha256}.zst`);
    if (this.faults.missingChunks.has(sha256) || !existsSync(file)) {
      this.imageRequests.push({ method: req.method ?? 'GET', path, status: 404, bytesSent: 0 });
      return json(res, 404, { statusCode: 404, message: `Cannot GET ${path}` });
    }
    const bad = req.method === 'GET' ? this.faults.badChunks.get(sha256) : undefined;
    if (!bad || bad.times <= 0) return this.serveFile(req, res, path, file);
    bad.times -= 1;
    if (bad.how === 'frame')
      return this.serveFile(req, res, path, file, { flipAt: Math.floor(statSync(file).size / 2) });
    const chunk = store.chunks.find((each) => each.sha256 === sha256) as ImageChunk;
    const content = zstdDecompressWithTool(readFileSync(file));
    content[Math.floor(chunk.length / 2)] ^= 0xff;
    const damaged = `${file}.damaged`;
    writeFileSync(damaged, compressChunk(content));
    return this.serveFile(req, res, path, damaged);
  }

  /** GET/HEAD with Content-Length, ETag, Accept-Ranges and single-range 206 answers (If-Range honoured). */
  private async serveFile(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    file: string,
    faults: { interruption?: { bytes: number; then: 'cut' | 'stall' }; flipAt?: number } = {},
  ): Promise<void> {
    const size = statSync(file).size;
    const etag = file === this.image?.path ? this.etag : `"${size}"`;
    const record: ImageRequest = {
      method: req.method ?? 'GET',
      path,
      range: req.headers.range,
      ifRange: req.headers['if-range'] as string | undefined,
      status: 200,
      bytesSent: 0,
    };
    this.imageRequests.push(record);
    let start = 0;
    let end = size - 1;
    const range =
      req.headers.range && (!record.ifRange || record.ifRange === etag)
        ? parseRange(req.headers.range, size)
        : undefined;
    if (range === 'unsatisfiable') {
      record.status = 416;
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    if (range) {
      [start, end] = range;
      record.status = 206;
    }
    res.writeHead(record.status, {
      'content-type': 'application/octet-stream',
      'content-length': String(end - start + 1),
      'accept-ranges': 'bytes',
      etag,
      ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === 'HEAD' || end < start) return void res.end();

    let position = start;
    for await (const piece of createReadStream(file, { start, end, highWaterMark: 256 * 1024 })) {
      let chunk = piece as Buffer;
      if (faults.flipAt !== undefined && faults.flipAt >= position && faults.flipAt < position + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[faults.flipAt - position] ^= 0xff;
      }
      const interruption = faults.interruption;
      if (interruption && record.bytesSent + chunk.length > interruption.bytes) {
        const head = chunk.subarray(0, interruption.bytes - record.bytesSent);
        record.bytesSent += head.length;
        await new Promise<void>((resolve) => res.write(head, () => resolve()));
        if (interruption.then === 'cut') res.socket?.destroy();
        return; // stalled: the client has to give up on this connection
      }
      record.bytesSent += chunk.length;
      position += chunk.length;
      if (!res.write(chunk)) await drained(res);
      if (res.destroyed) return;
    }
    res.end();
  }
}

/** The server's validation of a report (server/src/deployments/dto/installer.dto.ts). */
function statusProblems(report: StatusReport): string[] {
  const number = (value: unknown) =>
    value === undefined || (typeof value === 'number' && Number.isFinite(value) && value >= 0);
  const whole = (value: unknown) => value === undefined || (Number.isSafeInteger(value) && (value as number) >= 0);
  const text = (value: unknown, max: number) =>
    value === undefined || (typeof value === 'string' && value.length <= max);
  const throughput = report?.throughput;
  return [
    typeof report?.deploymentId !== 'string' && 'deploymentId is required',
    !DEPLOYMENT_STATUSES.includes(report?.status) && `status must be one of ${DEPLOYMENT_STATUSES.join(', ')}`,
    !(number(report?.progress) && (report.progress ?? 0) <= 100) && 'progress must be a number 0-100',
    !whole(report?.bytesDone) && 'bytesDone must be a whole number',
    !whole(report?.bytesTotal) && 'bytesTotal must be a whole number',
    throughput !== undefined &&
      !(typeof throughput === 'object' && Object.values(throughput).every(number)) &&
      'throughput must hold numbers >= 0',
    !text(report?.message, 500) && 'message must be a string of at most 500 characters',
    !text(report?.error, 1000) && 'error must be a string of at most 1000 characters',
  ].filter((problem): problem is string => typeof problem === 'string');
}

function zstdDecompressWithTool(frame: Buffer): Buffer {
  return execFileSync('zstd', ['-q', '-d', '-c'], { input: frame, maxBuffer: 64 << 20 });
}

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range; undefined for anything else (answered with the whole file). */
function parseRange(header: string, size: number): [number, number] | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') return [Math.max(0, size - Number(match[2])), size - 1];
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  return start >= size || end < start ? 'unsatisfiable' : [start, end];
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Resolves when the response can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

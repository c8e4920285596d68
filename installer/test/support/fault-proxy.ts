/**
 * An HTTP proxy on loopback in front of the real server's deployment listener, which can cut or
 * hold image downloads as a bad network would. The server is told to hand out the proxy's address
 * (DEPLOY_PUBLIC_URL), so the installer's image requests go through it; everything else passes
 * untouched.
 */
import { once } from 'node:events';
import {
  createServer,
  request,
  type ClientRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ProxiedImageGet {
  range?: string;
  status: number;
  bytesSent: number;
  cut: boolean;
}

export class FaultProxy {
  /** The real server's deployment listener; set once it is up. */
  upstream = '';
  /**
   * Cuts to make, in order: the next GET of the image (not its block map) whose answer is longer
   * than the first number here has its connection cut after that many body bytes.
   */
  readonly cutImageGetsAfter: number[] = [];
  /**
   * Called before the last piece of each image answer is passed on, with the answer's last byte
   * offset; the answer waits for it. Tests use it to act while the installer cannot have finished.
   */
  beforeImageAnswerEnds?: (lastByte: number) => Promise<void>;
  readonly imageGets: ProxiedImageGet[] = [];
  /**
   * Cuts to make in uploads, in order: the next PUT whose body is longer than the first number
   * here has its connection cut after that many body bytes went through (a capture's dropped
   * connection).
   */
  readonly cutPutsAfter: number[] = [];
  /** Body bytes of the PUTs that were cut. */
  readonly cutPuts: number[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FaultProxy> {
    const proxy = new FaultProxy(createServer());
    proxy.server.on('connection', (socket) => {
      proxy.sockets.add(socket);
      socket.on('close', () => proxy.sockets.delete(socket));
    });
    proxy.server.on('request', (req, res) => {
      proxy.forward(req, res).catch(() => res.destroy());
    });
    proxy.server.listen(0, '127.0.0.1');
    await once(proxy.server, 'listening');
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = new URL(req.url ?? '/', this.upstream);
    const upstream = request(target, { method: req.method, headers: { ...req.headers, host: target.host } });
    const bodyLength = Number(req.headers['content-length']);
    if (req.method === 'PUT' && bodyLength > this.cutPutsAfter[0]) {
      this.cutPut(req, res, upstream, this.cutPutsAfter.shift()!);
      return;
    }
    req.pipe(upstream);
    const [answer] = (await once(upstream, 'response')) as [IncomingMessage];
    const isImageGet =
      req.method === 'GET' && /^\/images\/[^/]+$/.test(target.pathname) && !target.pathname.endsWith('.bmap');
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    if (!isImageGet) {
      answer.pipe(res);
      return;
    }
    const record: ProxiedImageGet = {
      range: req.headers.range,
      status: answer.statusCode ?? 0,
      bytesSent: 0,
      cut: false,
    };
    this.imageGets.push(record);
    const length = Number(answer.headers['content-length']);
    const cutAfter = length > this.cutImageGetsAfter[0] ? this.cutImageGetsAfter.shift() : undefined;
    const lastByte = Number(/bytes \d+-(\d+)\//.exec(String(answer.headers['content-range'] ?? ''))?.[1] ?? length - 1);
    for await (const piece of answer) {
      let chunk = piece as Buffer;
      if (cutAfter !== undefined && record.bytesSent + chunk.length > cutAfter) {
        chunk = chunk.subarray(0, cutAfter - record.bytesSent);
        await new Promise<void>((resolve) => res.write(chunk, () => resolve()));
        record.bytesSent += chunk.length;
        record.cut = true;
        answer.destroy();
        res.socket?.destroy();
        return;
      }
      if (record.bytesSent + chunk.length >= length) await this.beforeImageAnswerEnds?.(lastByte);
      record.bytesSent += chunk.length;
      if (!res.write(chunk)) await once(res, 'drain');
    }
    res.end();
  }

  /** Passes `cutAfter` body bytes on, then drops both connections as a failing link would. */
  private cutPut(req: IncomingMessage, res: ServerResponse, upstream: ClientRequest, cutAfter: number): void {
    let passed = 0;
    upstream.on('error', () => undefined);
    req.on('data', (piece: Buffer) => {
      if (passed >= cutAfter) return;
      const chunk = piece.subarray(0, cutAfter - passed);
      passed += chunk.length;
      upstream.write(chunk);
      if (passed >= cutAfter) {
        this.cutPuts.push(passed);
        upstream.destroy();
        res.socket?.destroy();
      }
    });
  }
}

import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CAPTURE_OFFSET_HEADER,
  type CaptureOpenRequest,
  type CaptureSessionDto,
  type CaptureStateDto,
  type ImageDto,
} from '@rpi-deploy/contracts';
import { errorMessage, postJson, request, type HttpResponse } from '../download/http-client';

const REQUEST_TIMEOUT_MS = 15_000;
/** Storing a captured image (chunks flushed, rows written) can take a while for a large card. */
const FINISH_TIMEOUT_MS = 10 * 60_000;

/** The server refused (4xx): asking again gets the same answer. */
export class CaptureRefused extends Error {
  override readonly name = 'CaptureRefused';

  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The capture routes of the deployment listener (docs/interfaces.md, "Capture"). */
export class CaptureClient {
  private session?: CaptureSessionDto;

  constructor(private readonly server: string) {}

  async open(body: CaptureOpenRequest): Promise<CaptureSessionDto> {
    const response = await postJson(`${this.server}/api/capture`, body, { timeoutMs: REQUEST_TIMEOUT_MS });
    this.session = parse<CaptureSessionDto>(response, 201);
    return this.session;
  }

  async state(): Promise<CaptureStateDto> {
    const response = await request(this.url(''), { headers: this.auth(), timeoutMs: REQUEST_TIMEOUT_MS });
    return parse<CaptureStateDto>(response, 200);
  }

  /** Sends `length` bytes of the image from `offset`; resolves with what the server then holds. */
  async send(offset: number, length: number, pieces: AsyncIterable<Buffer>): Promise<CaptureStateDto> {
    const target = new URL(this.url('/bytes'));
    const transport = target.protocol === 'https:' ? https : http;
    const outgoing = transport.request(target, {
      method: 'PUT',
      headers: {
        ...this.auth(),
        'content-type': 'application/octet-stream',
        'content-length': String(length),
        [CAPTURE_OFFSET_HEADER]: String(offset),
      },
    });
    const answer = new Promise<HttpResponse>((resolve, reject) => {
      outgoing.on('error', reject);
      outgoing.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
        );
      });
    });
    // An early answer (a refusal) stops the sending; its error is the answer's to tell.
    const sent = pipeline(Readable.from(pieces), outgoing).catch(() => undefined);
    const response = await answer;
    if (!outgoing.writableFinished) outgoing.destroy();
    await sent;
    return parse<CaptureStateDto>(response, 200);
  }

  async finish(): Promise<ImageDto> {
    const response = await request(this.url('/finish'), {
      method: 'POST',
      headers: this.auth(),
      timeoutMs: FINISH_TIMEOUT_MS,
    });
    return parse<ImageDto>(response, 201);
  }

  private url(path: string): string {
    if (!this.session) throw new Error('no capture session: open one first');
    return `${this.server}/api/capture/${encodeURIComponent(this.session.captureId)}${path}`;
  }

  private auth(): Record<string, string> {
    return { authorization: `Bearer ${this.session?.token ?? ''}` };
  }
}

function parse<T>(response: HttpResponse, expected: number): T {
  if (response.status === expected) return JSON.parse(response.body.toString('utf8')) as T;
  const message = `HTTP ${response.status}: ${errorMessage(response)}`;
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    throw new CaptureRefused(message, response.status);
  }
  throw new Error(message);
}

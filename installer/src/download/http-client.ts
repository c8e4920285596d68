import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';

/** Keep-alive agents: range requests and status reports reuse connections instead of reconnecting. */
const AGENTS = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** For `request`: the whole exchange, connection to last byte. For `open`: until the headers arrive. */
  timeoutMs: number;
}

/** One request, whole answer buffered (small bodies only: JSON, block maps). Network errors reject. */
export async function request(url: string, options: RequestOptions): Promise<HttpResponse> {
  const started = Date.now();
  const response = await open(url, options);
  const timer = setTimeout(
    () => response.destroy(new Error(`the answer from ${new URL(url).host} took over ${options.timeoutMs / 1000} s`)),
    Math.max(0, options.timeoutMs - (Date.now() - started)),
  );
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    return { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) };
  } finally {
    clearTimeout(timer);
  }
}

export function postJson(
  url: string,
  body: unknown,
  options: Omit<RequestOptions, 'method' | 'body'>,
): Promise<HttpResponse> {
  return request(url, {
    ...options,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(body),
  });
}

/**
 * Sends a request and resolves with the response as soon as its headers arrive (within
 * `timeoutMs`); the caller consumes or destroys the body and watches it for stalls.
 */
export function open(url: string, options: RequestOptions): Promise<IncomingMessage> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  const agent = AGENTS[target.protocol as keyof typeof AGENTS];
  if (!agent) return Promise.reject(new Error(`unsupported URL ${url}: only http and https`));
  return new Promise((resolve, reject) => {
    const req = transport.request(target, { method: options.method ?? 'GET', headers: options.headers, agent });
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer from ${target.host} within ${options.timeoutMs / 1000} s`)),
      options.timeoutMs,
    );
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on('response', (response) => {
      clearTimeout(timer);
      resolve(response);
    });
    req.end(options.body);
  });
}

/** Statuses worth asking again for: the server failed, timed out the request or asks us to slow down. */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** The message of a JSON error body ({ "message": ... }, as the server sends), else a snippet of the text. */
export function errorMessage(response: HttpResponse): string {
  const text = response.body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
    if (Array.isArray(parsed.message)) return parsed.message.join('; ');
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.slice(0, 200).trim() || `HTTP ${response.status}`;
}

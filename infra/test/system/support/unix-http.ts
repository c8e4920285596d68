import { createReadStream, statSync } from 'node:fs';
import { request } from 'node:http';
import { basename } from 'node:path';

export interface UnixResponse {
  status: number;
  body: any;
  text: string;
}

/**
 * HTTP over a Unix socket: how the test (in the host's namespace) talks to a server running
 * inside a network namespace, through a forwarder the namespace runs (see forwarderScript).
 */
export function unixRequest(
  socketPath: string,
  path: string,
  options: {
    method?: string;
    token?: string;
    json?: unknown;
    headers?: Record<string, string>;
    filePath?: string;
    fields?: Record<string, string>;
  } = {},
): Promise<UnixResponse> {
  const headers: Record<string, string | number> = { ...options.headers };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  let body: Buffer | undefined;
  let multipart: { head: Buffer; tail: Buffer; file: string } | undefined;
  if (options.json !== undefined) {
    body = Buffer.from(JSON.stringify(options.json));
    headers['content-type'] = 'application/json';
    headers['content-length'] = body.length;
  } else if (options.filePath) {
    const boundary = `----rpi-deploy-${Date.now()}`;
    const fields = Object.entries(options.fields ?? {})
      .map(([name, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join('');
    const head = Buffer.from(
      `${fields}--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${basename(options.filePath)}"\r\ncontent-type: application/octet-stream\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    multipart = { head, tail, file: options.filePath };
    headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
    headers['content-length'] = head.length + statSync(options.filePath).size + tail.length;
  }
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: options.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // plain text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, text });
      });
    });
    req.on('error', reject);
    if (multipart) {
      req.write(multipart.head);
      const file = createReadStream(multipart.file);
      file.on('end', () => req.end(multipart.tail));
      file.pipe(req, { end: false });
    } else {
      req.end(body);
    }
  });
}

/** A Node one-liner that forwards a Unix socket to a TCP port on the namespace's loopback. */
export function forwarderScript(socketPath: string, port: number): string {
  return `require('net').createServer((c)=>{const s=require('net').connect(${port},'127.0.0.1');c.pipe(s).pipe(c);s.on('error',()=>c.destroy());c.on('error',()=>s.destroy());}).listen(${JSON.stringify(socketPath)})`;
}

import { request as httpsRequest, type RequestOptions } from 'node:https';
import { connectionError, httpErrorMessage, ProxmoxError, ProxmoxHttpError } from './proxmox-errors';
import { normaliseBaseUrl, tokenHeader, type ProxmoxConnection } from './proxmox-connection';
import { encodeParams, type ProxmoxMethod, type ProxmoxParams, type ProxmoxTransport } from './proxmox-transport';

const DEFAULT_TIMEOUT_MS = 30_000;

interface Ticket {
  cookie: string;
  csrfToken: string;
}

interface RawResponse {
  status: number;
  reason: string;
  body: string;
}

/**
 * The Proxmox VE API over node:https. Certificates are verified unless the connection says
 * `insecure`; a private CA can be given instead. With a password, the first call logs in
 * (POST /access/ticket) and every write then carries the CSRFPreventionToken header.
 */
export class HttpsTransport implements ProxmoxTransport {
  readonly baseUrl: string;
  private ticket?: Promise<Ticket>;

  constructor(private readonly connection: ProxmoxConnection) {
    this.baseUrl = normaliseBaseUrl(connection.url);
  }

  async request<T>(method: ProxmoxMethod, path: string, params: ProxmoxParams = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const { credentials } = this.connection;
    if (credentials.kind === 'token') {
      headers['authorization'] = tokenHeader(credentials.tokenId, credentials.secret, true);
    } else {
      const ticket = await this.login();
      headers['cookie'] = `PVEAuthCookie=${encodeURIComponent(ticket.cookie)}`;
      if (method !== 'GET') headers['csrfpreventiontoken'] = ticket.csrfToken;
    }
    const response = await this.send(method, path, params, headers);
    return this.dataOf<T>(method, path, response);
  }

  private login(): Promise<Ticket> {
    const { credentials } = this.connection;
    if (credentials.kind !== 'password') throw new Error('login() needs password credentials');
    this.ticket ??= (async () => {
      const response = await this.send(
        'POST',
        '/access/ticket',
        { username: credentials.username, password: credentials.password },
        { accept: 'application/json' },
      );
      const data = this.dataOf<{ ticket?: string; CSRFPreventionToken?: string }>('POST', '/access/ticket', response);
      if (!data?.ticket || !data.CSRFPreventionToken) {
        throw new ProxmoxError('Proxmox answered the login without a ticket: is this really the Proxmox VE API?');
      }
      return { cookie: data.ticket, csrfToken: data.CSRFPreventionToken };
    })();
    // A failed login is not cached: the next call tries again.
    this.ticket.catch(() => (this.ticket = undefined));
    return this.ticket;
  }

  private dataOf<T>(method: string, path: string, response: RawResponse): T {
    let json: { data?: unknown; errors?: Record<string, string> } | undefined;
    try {
      json = response.body ? JSON.parse(response.body) : undefined;
    } catch {
      json = undefined;
    }
    if (response.status < 200 || response.status >= 300) {
      const errors = json?.errors ?? {};
      throw new ProxmoxHttpError(
        httpErrorMessage(method, path, response.status, response.reason, errors),
        response.status,
        response.reason,
        errors,
      );
    }
    if (json === undefined) {
      throw new ProxmoxError(`Proxmox answered ${method} ${path} with something that is not JSON`);
    }
    return json.data as T;
  }

  private send(
    method: ProxmoxMethod,
    path: string,
    params: ProxmoxParams,
    headers: Record<string, string>,
  ): Promise<RawResponse> {
    const form = encodeParams(params).toString();
    const hasBody = method === 'POST' || method === 'PUT';
    const url = new URL(`${this.baseUrl}/api2/json${path}`);
    if (!hasBody && form) url.search = form;
    const options: RequestOptions = {
      method,
      headers: hasBody
        ? { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(form) }
        : headers,
      ca: this.connection.ca,
      rejectUnauthorized: !this.connection.insecure,
      timeout: this.connection.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
    return new Promise((resolve, reject) => {
      const req = httpsRequest(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => reject(connectionError(this.baseUrl, error)));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            reason: res.statusMessage ?? '',
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (error) => reject(connectionError(this.baseUrl, error)));
      req.end(hasBody ? form : undefined);
    });
  }
}

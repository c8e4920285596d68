import type { LoginResponse } from '@rpi-deploy/contracts';

/** Thrown for anything the operator should read: printed as-is, exit code 1. */
export class CliError extends Error {}

export interface ConnectionOptions {
  url: string;
  token?: string;
  user?: string;
  password?: string;
}

/** The running server's management API, as the logged-in operator. */
export class ApiClient {
  private token?: string;

  constructor(private readonly options: ConnectionOptions) {
    this.token = options.token;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** A text answer (CSV) as it is. */
  async getText(path: string): Promise<string> {
    const response = await this.send('GET', path, undefined, await this.accessToken());
    if (!response.ok) {
      throw new CliError(describeError(response.status, await response.json().catch(() => undefined)));
    }
    return response.text();
  }

  /** A binary answer (PDF) as bytes, with its headers. */
  async getBytes(path: string): Promise<{ bytes: Buffer; headers: Headers }> {
    const response = await this.send('GET', path, undefined, await this.accessToken());
    if (!response.ok) {
      throw new CliError(describeError(response.status, await response.json().catch(() => undefined)));
    }
    return { bytes: Buffer.from(await response.arrayBuffer()), headers: response.headers };
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = await this.accessToken();
    const response = await this.send(method, path, body, token);
    if (response.status === 204) return undefined as T;
    const payload = await response.json().catch(() => undefined);
    if (!response.ok) throw new CliError(describeError(response.status, payload));
    return payload as T;
  }

  get baseUrl(): string {
    return this.options.url.replace(/\/+$/, '');
  }

  /** A valid access token, logging in first when only a user and password were given. */
  async accessToken(): Promise<string> {
    if (this.token) return this.token;
    const { user, password } = this.options;
    if (!user || !password) {
      throw new CliError('Not logged in: pass --user and --password, or set RPI_DEPLOY_TOKEN');
    }
    const response = await this.send('POST', '/api/auth/login', { username: user, password });
    const payload = await response.json().catch(() => undefined);
    if (!response.ok) throw new CliError(`Login failed: ${describeError(response.status, payload)}`);
    this.token = (payload as LoginResponse).accessToken;
    return this.token;
  }

  private async send(method: string, path: string, body: unknown, token?: string): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    try {
      return await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } }).cause;
      const reason = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (error as Error).message;
      if (UNTRUSTED_CERTIFICATE.has(reason)) {
        throw new CliError(
          `The server at ${this.options.url} presents a certificate this machine does not trust (${reason}): ` +
            'run with NODE_EXTRA_CA_CERTS=<its certificate or CA, e.g. DATA_DIR/tls/server.crt>',
        );
      }
      throw new CliError(`Cannot reach the server at ${this.options.url} (${reason}): is it running? Set --url`);
    }
  }
}

/** Node's codes for a self-signed or unknown-CA certificate (TLS_SELF_SIGNED, a private CA). */
const UNTRUSTED_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

function describeError(status: number, payload: unknown): string {
  const message = (payload as { message?: string | string[] } | undefined)?.message;
  const text = Array.isArray(message) ? message.join('; ') : (message ?? 'no details');
  return `${text} (HTTP ${status})`;
}

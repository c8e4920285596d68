import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeTasks } from './fake-pve-tasks';
import { HttpError } from './http-error';
import { vmRoutes, type FakeVm, type Route } from './fake-pve-routes';
import { validateParameters, type PveSchema } from './pve-schema';
import type { TestCertificate } from './tls';

const SCHEMA: { endpoints: Record<string, { parameters: PveSchema }> } = JSON.parse(
  readFileSync(join(__dirname, '../../fixtures/proxmox/pve-api-schema-subset.json'), 'utf8'),
);

export interface FakePveOptions {
  certificate: TestCertificate;
  node?: string;
  /** API token that is accepted: `PVEAPIToken=<id>=<secret>`. */
  token?: { id: string; secret: string };
  /** User that may log in with a password. */
  user?: { username: string; password: string };
  /** How long each task runs before it ends. */
  taskMs?: number;
  /** Volumes present on storage, e.g. local:import/noble-server-cloudimg-amd64.img. */
  volumes?: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  auth: 'token' | 'ticket' | 'none';
  csrf: boolean;
  status: number;
}

/**
 * A Proxmox VE API stand-in over HTTPS. Every request is checked against the official API
 * schema (fixtures/proxmox/pve-api-schema-subset.json) before anything else happens, and
 * refused with Proxmox's 400 `{"errors":{...},"data":null}`; authentication works as Proxmox's
 * (token header, or ticket cookie plus CSRFPreventionToken on writes); tasks run asynchronously
 * with UPIDs and can be made to fail.
 */
export class FakePve {
  readonly node: string;
  readonly vms = new Map<number, FakeVm>();
  readonly volumes: Set<string>;
  readonly requests: RecordedRequest[] = [];
  readonly tasks: FakeTasks;
  /** Guest-agent answers per VMID; a VM without one has no agent running. */
  readonly agentInterfaces = new Map<number, unknown[]>();
  taskMs: number;
  private readonly tickets = new Map<string, string>();
  private readonly forbidden: Array<(method: string, path: string) => boolean> = [];
  private server?: Server;
  url = '';

  private constructor(private readonly options: FakePveOptions) {
    this.node = options.node ?? 'pve';
    this.taskMs = options.taskMs ?? 60;
    this.volumes = new Set(options.volumes ?? []);
    this.tasks = new FakeTasks(this.node, () => this.taskMs);
  }

  static async start(options: FakePveOptions): Promise<FakePve> {
    const fake = new FakePve(options);
    fake.server = createServer({ cert: options.certificate.cert, key: options.certificate.key }, (req, res) => {
      fake.handle(req, res).catch((error) => fake.reply(res, 500, `fake Proxmox crashed: ${error}`, null));
    });
    await new Promise<void>((resolve) => fake.server!.listen(0, '127.0.0.1', resolve));
    fake.url = `https://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** Answers 403 to matching calls, as Proxmox does when the token lacks a privilege. */
  forbid(predicate: (method: string, path: string) => boolean): void {
    this.forbidden.push(predicate);
  }

  /** Requests that reached a handler, i.e. not counting the task polls. */
  calls(): RecordedRequest[] {
    return this.requests.filter((r) => !r.path.includes('/tasks/'));
  }

  async close(): Promise<void> {
    this.tasks.stop();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://fake');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/^\/api2\/json/, '');
    const body = await readBody(req);
    const params: Record<string, string> =
      method === 'POST' || method === 'PUT'
        ? Object.fromEntries(new URLSearchParams(body))
        : Object.fromEntries(url.searchParams);
    const record: RecordedRequest = { method, path, params, auth: 'none', csrf: false, status: 0 };
    this.requests.push(record);
    const send = (status: number, reason: string, data: unknown, errors?: Record<string, string>) => {
      record.status = status;
      this.reply(res, status, reason, data, errors);
    };
    try {
      const match = this.route(method, path);
      if (!match) throw new HttpError(501, `Method '${method} ${path}' not implemented`);
      const user = this.authenticate(req, method, path, record);
      if (this.forbidden.some((forbid) => forbid(method, path))) {
        throw new HttpError(403, `Permission check failed (${path}, VM.Allocate)`);
      }
      const all = { ...params, ...match.pathParams };
      const errors = validateParameters(all, SCHEMA.endpoints[match.endpoint].parameters);
      if (Object.keys(errors).length > 0) throw new HttpError(400, 'Parameter verification failed.', errors);
      if (all['node'] !== undefined && all['node'] !== this.node && match.endpoint !== 'POST /access/ticket') {
        throw new HttpError(500, `no such cluster node '${all['node']}'`);
      }
      send(200, 'OK', await match.route.handle(all, { fake: this, user }));
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      send(error.status, error.message, null, error.errors);
    }
  }

  /** Token header, or ticket cookie (writes need the CSRF token too); the login itself needs neither. */
  private authenticate(req: IncomingMessage, method: string, path: string, record: RecordedRequest): string {
    if (method === 'POST' && path === '/access/ticket') return '';
    const authorization = req.headers['authorization'];
    if (authorization?.startsWith('PVEAPIToken=')) {
      record.auth = 'token';
      const { token } = this.options;
      if (!token || authorization !== `PVEAPIToken=${token.id}=${token.secret}`) {
        throw new HttpError(401, 'authentication failure');
      }
      return token.id.split('!')[0];
    }
    const cookie = /(?:^|;\s*)PVEAuthCookie=([^;]+)/.exec(req.headers['cookie'] ?? '')?.[1];
    if (!cookie) throw new HttpError(401, 'No ticket');
    record.auth = 'ticket';
    const ticket = decodeURIComponent(cookie);
    const csrf = this.tickets.get(ticket);
    if (csrf === undefined) throw new HttpError(401, 'authentication failure');
    record.csrf = req.headers['csrfpreventiontoken'] === csrf;
    if (method !== 'GET' && !record.csrf) throw new HttpError(401, 'Permission denied - invalid csrf token');
    return ticket.split(':')[1];
  }

  /** POST /access/ticket: a ticket and its CSRF token for the configured user. */
  login(params: Record<string, string>): unknown {
    const username = params['username'].includes('@')
      ? params['username']
      : `${params['username']}@${params['realm'] ?? 'pam'}`;
    const { user } = this.options;
    if (!user || user.username !== username || user.password !== params['password']) {
      throw new HttpError(401, 'authentication failure');
    }
    const stamp = Math.floor(Date.now() / 1000)
      .toString(16)
      .toUpperCase();
    const ticket = `PVE:${username}:${stamp}::${randomBytes(32).toString('base64')}`;
    const csrf = `${stamp}:${randomBytes(16).toString('base64').replace(/=+$/, '')}`;
    this.tickets.set(ticket, csrf);
    return { username, ticket, CSRFPreventionToken: csrf };
  }

  private route(method: string, path: string) {
    for (const route of vmRoutes) {
      const [routeMethod, template] = route.endpoint.split(' ');
      if (routeMethod !== method) continue;
      const names: string[] = [];
      const pattern = template.replace(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      const match = new RegExp(`^${pattern}$`).exec(path);
      if (!match) continue;
      const pathParams = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1])]));
      return { route: route as Route, endpoint: route.endpoint, pathParams };
    }
    return undefined;
  }

  private reply(res: ServerResponse, status: number, reason: string, data: unknown, errors?: Record<string, string>) {
    const body = JSON.stringify(errors ? { errors, data } : { data });
    // Proxmox puts its error text in the status line; a status line cannot hold line breaks.
    res.writeHead(status, reason.replace(/[\r\n]+/g, ' ').trim(), {
      'content-type': 'application/json;charset=UTF-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

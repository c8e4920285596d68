import { MASK, SECRET_PARAMS, tokenHeader, type ProxmoxConnection } from './proxmox-connection';
import { encodeParams, type ProxmoxMethod, type ProxmoxParams, type ProxmoxTransport } from './proxmox-transport';

/** What the dry run answers in place of values only Proxmox knows. */
export const DRY_RUN_VMID = '$VMID';
export const DRY_RUN_UPID = '$UPID';

/**
 * Prints each call instead of making it (secrets masked) and answers as an empty Proxmox
 * would: no VMs yet, `$VMID` as the next free id, every task finished. The real code path
 * runs on top, so what is printed is what a real run would send.
 */
export class DryRunTransport implements ProxmoxTransport {
  private announcedAuth = false;

  constructor(
    private readonly connection: ProxmoxConnection,
    private readonly print: (line: string) => void,
  ) {}

  async request<T>(method: ProxmoxMethod, path: string, params: ProxmoxParams = {}): Promise<T> {
    this.announceAuth();
    this.printCall(method, path, params);
    return this.answer(method, path) as T;
  }

  private announceAuth(): void {
    if (this.announcedAuth) return;
    this.announcedAuth = true;
    const { credentials } = this.connection;
    this.print(`# dry run: nothing is sent to ${this.connection.url}`);
    if (credentials.kind === 'token') {
      this.print(`# every call carries Authorization: ${tokenHeader(credentials.tokenId, credentials.secret)}`);
    } else {
      this.printCall('POST', '/access/ticket', { username: credentials.username, password: credentials.password });
      this.print('# then every call carries the ticket cookie, writes also the CSRFPreventionToken header');
    }
  }

  private printCall(method: ProxmoxMethod, path: string, params: ProxmoxParams): void {
    const shown = [...encodeParams(params)].map(([key, text]) => `${key}=${SECRET_PARAMS.has(key) ? MASK : text}`);
    this.print([`${method} /api2/json${decodeURIComponent(path)}`, ...shown].join(' '));
  }

  private answer(method: ProxmoxMethod, path: string): unknown {
    if (method !== 'GET') return DRY_RUN_UPID;
    if (path === '/cluster/nextid') return DRY_RUN_VMID;
    if (path === '/cluster/resources') return [];
    if (/\/tasks\/[^/]+\/status$/.test(path)) return { status: 'stopped', exitstatus: 'OK' };
    if (/\/tasks\/[^/]+\/log$/.test(path)) return [];
    return {};
  }
}

import { request } from 'node:https';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { HttpsTransport } from '../../src/proxmox/client/https-transport';
import { ProxmoxApi } from '../../src/proxmox/client/proxmox-api';
import { ProxmoxHttpError, ProxmoxTlsError, ProxmoxUnreachableError } from '../../src/proxmox/client/proxmox-errors';
import { provisionVm } from '../../src/proxmox/vm/vm-provisioner';
import type { FakePve } from './fake-pve/fake-pve-server';
import { apiFor, connectionTo, deploymentServerSpec, startFakePve, TOKEN, USER } from './support';

describe('Proxmox client: authentication, TLS and errors', () => {
  let fake: FakePve;
  beforeEach(async () => (fake = await startFakePve()));
  afterEach(() => fake?.close());

  const passwordApi = (password = USER.password) =>
    apiFor(fake, { credentials: { kind: 'password', username: USER.username, password } });

  it('provisions with a password: one login, the ticket cookie on every call, CSRF on every write', async () => {
    const result = await provisionVm(passwordApi(), deploymentServerSpec());
    expect(result).toMatchObject({ vmid: 100, created: true });
    expect(fake.requests.filter((r) => r.path === '/access/ticket')).toHaveLength(1);
    const rest = fake.requests.filter((r) => r.path !== '/access/ticket');
    expect(rest.every((r) => r.auth === 'ticket' && r.status === 200)).toBe(true);
    const writes = rest.filter((r) => r.method !== 'GET');
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /nodes/pve/qemu',
      'PUT /nodes/pve/qemu/100/resize',
      'POST /nodes/pve/qemu/100/status/start',
    ]);
    expect(writes.every((r) => r.csrf)).toBe(true);
  });

  it('gets 401 on a write with the ticket but without the CSRF token, as Proxmox answers', async () => {
    fake.vms.set(100, { vmid: 100, name: 'rpi-deploy', config: {}, status: 'running', template: false, snapshots: [] });
    const { ticket } = await new HttpsTransport(connectionTo(fake)).request<{ ticket: string }>(
      'POST',
      '/access/ticket',
      {
        username: USER.username,
        password: USER.password,
      },
    );
    const answer = await new Promise<{ status?: number; reason?: string }>((resolve, reject) => {
      const req = request(
        `${fake.url}/api2/json/nodes/pve/qemu/100/snapshot`,
        {
          method: 'POST',
          ca: connectionTo(fake).ca,
          headers: {
            cookie: `PVEAuthCookie=${encodeURIComponent(ticket)}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
        },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode, reason: res.statusMessage });
        },
      );
      req.on('error', reject);
      req.end('snapname=before');
    });
    expect(answer).toEqual({ status: 401, reason: 'Permission denied - invalid csrf token' });
    expect(fake.tasks.all()).toHaveLength(0);
  });

  it('says what to check when the password or the token is wrong', async () => {
    await expect(provisionVm(passwordApi('wrong'), deploymentServerSpec())).rejects.toThrow(
      /^Proxmox refused the credentials on POST \/access\/ticket \(401 authentication failure\): check the API token ID and secret/,
    );
    const badToken = apiFor(fake, { credentials: { kind: 'token', tokenId: TOKEN.id, secret: 'not-the-secret' } });
    const error = await provisionVm(badToken, deploymentServerSpec()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProxmoxHttpError);
    expect((error as ProxmoxHttpError).status).toBe(401);
    expect((error as Error).message).not.toContain('not-the-secret');
    expect(fake.vms.size).toBe(0);
  });

  it('explains a 403 (missing privilege) and a 500 (Proxmox error text from the status line)', async () => {
    fake.forbid((method, path) => method === 'POST' && path === '/nodes/pve/qemu');
    await expect(provisionVm(apiFor(fake), deploymentServerSpec())).rejects.toThrow(
      "Proxmox denied POST /nodes/pve/qemu (403 Permission check failed (/nodes/pve/qemu, VM.Allocate)): give the token's user that privilege",
    );
    await expect(apiFor(fake).start(4242)).rejects.toThrow(
      "Proxmox failed on POST /nodes/pve/qemu/4242/status/start: 500 Configuration file 'nodes/pve/qemu-server/4242.conf' does not exist",
    );
  });

  it('passes Proxmox parameter errors on, per parameter', async () => {
    const error = await apiFor(fake)
      .createVm({ vmid: 100, net0: 'virtio,bridge=vmbr0,tag=101', ipconfig0: 'ip=10.1.0.10' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProxmoxHttpError);
    expect((error as ProxmoxHttpError).errors['ipconfig0']).toMatch(/ipconfig0\.ip: invalid format/);
    expect((error as Error).message).toMatch(
      /^Proxmox rejected POST \/nodes\/pve\/qemu: Parameter verification failed\. ipconfig0: invalid format - format error/,
    );
  });

  it('verifies the TLS certificate by default: a self-signed one is refused unless its CA is given or --insecure', async () => {
    const untrusted = apiFor(fake, { ca: undefined });
    const error = await untrusted.virtualMachines().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProxmoxTlsError);
    expect((error as Error).message).toMatch(
      /^The TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \(self[- ]signed certificate\)\. Give the CA certificate that signed it with --ca-file \(PROXMOX_CA_FILE\), or skip verification with --insecure/,
    );
    expect(fake.requests).toHaveLength(0);

    await expect(apiFor(fake).virtualMachines()).resolves.toEqual([]);
    await expect(apiFor(fake, { ca: undefined, insecure: true }).virtualMachines()).resolves.toEqual([]);
  });

  it('says the host cannot be reached when nothing listens there', async () => {
    const closedPort = await unusedPort();
    const api = new ProxmoxApi(
      new HttpsTransport({ ...connectionTo(fake), url: `https://127.0.0.1:${closedPort}` }),
      'pve',
    );
    const error = await api.virtualMachines().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProxmoxUnreachableError);
    expect((error as Error).message).toBe(
      `Cannot reach Proxmox at https://127.0.0.1:${closedPort} (ECONNREFUSED): check the URL and port (usually https://HOST:8006) and that the host answers from here.`,
    );
  });
});

/** A port that was free a moment ago: connecting to it is refused. */
async function unusedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

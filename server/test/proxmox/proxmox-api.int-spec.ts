import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from '../support/test-server';
import type { FakePve } from './fake-pve/fake-pve-server';
import { startFakePve, testCertificate, TOKEN } from './support';

const serverVm = () => ({
  vmid: 100,
  name: 'rpi-deploy',
  config: { cores: '2', memory: '4096', agent: 'enabled=1', net0: 'virtio,bridge=vmbr0,tag=101' },
  status: 'running' as const,
  template: false,
  startedAt: Date.now() - 3 * 3600_000,
  snapshots: [],
});

async function tokenOf(t: TestServer, username: string, password: string): Promise<string> {
  return (await login(t.management, username, password)).accessToken;
}

describe('management API /api/proxmox (the server VM, admin only)', () => {
  let fake: FakePve;
  let t: TestServer;
  let admin: string;
  let operator: string;
  let viewer: string;

  beforeAll(async () => {
    fake = await startFakePve({ taskMs: 20 });
    fake.vms.set(100, serverVm());
    // The secret and the CA from files, as on a real install.
    const secrets = mkdtempSync(join(tmpdir(), 'pve-secret-'));
    writeFileSync(join(secrets, 'token'), `${TOKEN.secret}\n`);
    t = await bootTestServer({
      PROXMOX_URL: fake.url,
      PROXMOX_NODE: 'pve',
      PROXMOX_VMID: '100',
      PROXMOX_TOKEN_ID: TOKEN.id,
      PROXMOX_TOKEN_SECRET_FILE: join(secrets, 'token'),
      PROXMOX_CA_FILE: testCertificate().certPath,
    });
    admin = await tokenOf(t, 'admin', ADMIN_PASSWORD);
    for (const role of ['operator', 'viewer']) {
      await api(t.management, '/api/users', {
        method: 'POST',
        token: admin,
        body: { username: role, password: `${role}-password`, role },
      });
    }
    operator = await tokenOf(t, 'operator', 'operator-password');
    viewer = await tokenOf(t, 'viewer', 'viewer-password');
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('shows the VM: state, uptime, size and the guest-agent addresses', async () => {
    const before = await api(t.management, '/api/proxmox/status', { token: admin });
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ vmid: 100, state: 'running', agentRunning: false, addresses: [] });

    fake.agentInterfaces.set(100, [
      { name: 'lo', 'ip-addresses': [{ 'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4', prefix: 8 }] },
      {
        name: 'eth0',
        'hardware-address': 'bc:24:11:00:00:01',
        'ip-addresses': [
          { 'ip-address': '10.1.0.10', 'ip-address-type': 'ipv4', prefix: 24 },
          { 'ip-address': 'fe80::1', 'ip-address-type': 'ipv6', prefix: 64 },
        ],
      },
      {
        name: 'eth1',
        'hardware-address': 'bc:24:11:00:00:02',
        'ip-addresses': [{ 'ip-address': '192.168.151.1', 'ip-address-type': 'ipv4', prefix: 24 }],
      },
    ]);
    const status = await api(t.management, '/api/proxmox/status', { token: admin });
    expect(status.body).toEqual({
      node: 'pve',
      vmid: 100,
      name: 'rpi-deploy',
      state: 'running',
      uptimeSeconds: expect.any(Number),
      cores: 2,
      memoryMiB: 4096,
      agentRunning: true,
      addresses: [
        { interface: 'eth0', mac: 'bc:24:11:00:00:01', address: '10.1.0.10/24', family: 'ipv4' },
        { interface: 'eth1', mac: 'bc:24:11:00:00:02', address: '192.168.151.1/24', family: 'ipv4' },
      ],
    });
    expect(status.body.uptimeSeconds).toBeGreaterThanOrEqual(3 * 3600);
  });

  it('takes a snapshot, lists it, and starts a rollback that answers before the VM restarts', async () => {
    const created = await api(t.management, '/api/proxmox/snapshots', {
      method: 'POST',
      token: admin,
      body: { name: 'before_upgrade', description: 'before 1.4.0' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual([
      {
        name: 'before_upgrade',
        description: 'before 1.4.0',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        parent: null,
        includesRam: false,
      },
    ]);
    const listed = await api(t.management, '/api/proxmox/snapshots', { token: admin });
    expect(listed.body).toEqual(created.body);

    const rollback = await api(t.management, '/api/proxmox/snapshots/before_upgrade/rollback', {
      method: 'POST',
      token: admin,
    });
    expect(rollback.status).toBe(202);
    expect(rollback.body.task).toMatch(/^UPID:pve:.*:qmrollback:100:root@pam:$/);
    expect(fake.calls().find((r) => r.path.endsWith('/rollback'))?.params).toEqual({ start: '1' });

    const missing = await api(t.management, '/api/proxmox/snapshots/nope/rollback', { method: 'POST', token: admin });
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('VM 100 has no snapshot "nope"');
  });

  it('refuses a snapshot name Proxmox would refuse, before asking Proxmox', async () => {
    const before = fake.requests.length;
    const bad = await api(t.management, '/api/proxmox/snapshots', {
      method: 'POST',
      token: admin,
      body: { name: 'before-upgrade' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual([
      'name must be 2-40 letters, digits or "_", starting with a letter (Proxmox allows nothing else)',
    ]);
    expect(fake.requests.length).toBe(before);
  });

  it('is for admins only: operators and viewers get 403 and Proxmox is not asked', async () => {
    const before = fake.requests.length;
    for (const token of [operator, viewer]) {
      expect((await api(t.management, '/api/proxmox/status', { token })).status).toBe(403);
      expect((await api(t.management, '/api/proxmox/snapshots', { token })).status).toBe(403);
      const create = await api(t.management, '/api/proxmox/snapshots', {
        method: 'POST',
        token,
        body: { name: 'sneaky' },
      });
      expect(create.status).toBe(403);
      expect(
        (await api(t.management, '/api/proxmox/snapshots/before_upgrade/rollback', { method: 'POST', token })).status,
      ).toBe(403);
    }
    expect((await api(t.management, '/api/proxmox/status')).status).toBe(401);
    expect(fake.requests.length).toBe(before);
  });

  it("turns Proxmox's own refusals into 502 with the reason (never a 401 that would log the user out)", async () => {
    fake.forbid((method, path) => method === 'GET' && path === '/nodes/pve/qemu/100/snapshot');
    const denied = await api(t.management, '/api/proxmox/snapshots', { token: admin });
    expect(denied.status).toBe(502);
    expect(denied.body.message).toMatch(
      /^Proxmox denied GET \/nodes\/pve\/qemu\/100\/snapshot \(403 Permission check failed/,
    );
    expect(JSON.stringify(denied.body)).not.toContain(TOKEN.secret);
    expect(t.logger.lines.join('\n')).not.toContain(TOKEN.secret);
  });
});

describe('management API /api/proxmox without Proxmox settings', () => {
  let t: TestServer;
  beforeAll(async () => (t = await bootTestServer()));
  afterAll(() => t?.close());

  it('answers 503 naming every variable to set', async () => {
    const admin = await tokenOf(t, 'admin', ADMIN_PASSWORD);
    const answer = await api(t.management, '/api/proxmox/status', { token: admin });
    expect(answer.status).toBe(503);
    expect(answer.body.message).toBe(
      'Proxmox is not configured: set PROXMOX_URL, PROXMOX_NODE, PROXMOX_VMID, PROXMOX_TOKEN_ID, ' +
        "PROXMOX_TOKEN_SECRET (or PROXMOX_TOKEN_SECRET_FILE) in the server's environment and restart it " +
        '(an API token USER@REALM!TOKENID with VM.Audit, VM.Snapshot and VM.Snapshot.Rollback on /vms/<VMID>).',
    );
  });
});

import { request } from 'node:https';
import type { FakePve } from './fake-pve/fake-pve-server';
import { startFakePve, testCertificate, TOKEN } from './support';

/** A raw call to the fake, to see exactly what it answers. */
function raw(
  fake: FakePve,
  method: string,
  path: string,
  params: Record<string, string> = {},
  headers: Record<string, string> = { authorization: `PVEAPIToken=${TOKEN.id}=${TOKEN.secret}` },
): Promise<{ status: number; reason: string; body: any }> {
  const form = new URLSearchParams(params).toString();
  const hasBody = method === 'POST' || method === 'PUT';
  const url = new URL(`${fake.url}/api2/json${path}${!hasBody && form ? `?${form}` : ''}`);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: testCertificate().cert,
        headers: hasBody ? { ...headers, 'content-type': 'application/x-www-form-urlencoded' } : headers,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, reason: res.statusMessage!, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(hasBody ? form : undefined);
  });
}

const validCreate = {
  vmid: '120',
  name: 'schema-check',
  net0: 'virtio,bridge=vmbr0,tag=101',
  ipconfig0: 'ip=10.1.0.10/24,gw=10.1.0.1',
};

/** The stand-in must refuse what the real API refuses, or the client tests prove nothing. */
describe('fake Proxmox VE validates every request against the API schema', () => {
  let fake: FakePve;
  beforeAll(async () => (fake = await startFakePve()));
  afterAll(() => fake?.close());

  it('accepts a valid create and answers a UPID', async () => {
    const answer = await raw(fake, 'POST', '/nodes/pve/qemu', validCreate);
    expect(answer.status).toBe(200);
    expect(answer.body.data).toMatch(/^UPID:pve:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:qmcreate:120:root@pam:$/);
  });

  it.each([
    [
      'net0 with an unknown key',
      { net0: 'virtio,bridge=vmbr0,vlan=101' },
      'net0',
      /invalid key in comma-separated list property: vlan/,
    ],
    [
      'net0 with a bad tag',
      { net0: 'virtio,bridge=vmbr0,tag=5000' },
      'net0',
      /net0\.tag: value must have a maximum value of 4094/,
    ],
    [
      'net0 with an unknown model',
      { net0: 'virtnet,bridge=vmbr0' },
      'net0',
      /net0\.model: value 'virtnet' does not have a value/,
    ],
    [
      'net0 with a bad bridge',
      { net0: 'virtio,bridge=vm br0' },
      'net0',
      /net0\.bridge: invalid format - invalid bridge ID 'vm br0'/,
    ],
    [
      'ipconfig0 without the prefix length',
      { ipconfig0: 'ip=10.1.0.10,gw=10.1.0.1' },
      'ipconfig0',
      /ipconfig0\.ip: invalid format - value does not look like a valid ipv4 network configuration/,
    ],
    [
      'ipconfig0 with a bad gateway',
      { ipconfig0: 'ip=10.1.0.10/24,gw=10.1.0.300' },
      'ipconfig0',
      /ipconfig0\.gw: invalid format - value does not look like a valid IPv4 address/,
    ],
    [
      'ipconfig0 with a gateway but no address',
      { ipconfig0: 'gw=10.1.0.1' },
      'ipconfig0',
      /missing property - 'gw' requires this property/,
    ],
    ['sshkeys not URL-encoded', { sshkeys: 'ssh-ed25519 AAAA key' }, 'sshkeys', /invalid urlencoded string/],
    ['a wrong integer', { cores: 'two' }, 'cores', /type check \('integer'\) failed - got 'two'/],
    ['a boolean spelt "true"', { start: 'true' }, 'start', /type check \('boolean'\) failed - got 'true'/],
    ['a bad enum value', { scsihw: 'virtio' }, 'scsihw', /value 'virtio' does not have a value in the enumeration/],
    [
      'an unknown parameter',
      { bogus: '1' },
      'bogus',
      /property is not defined in schema and the schema does not allow additional properties/,
    ],
    ['vga with an unknown type', { vga: 'type=fancy' }, 'vga', /vga\.type: value 'fancy'/],
  ])('rejects %s with 400 and the real error shape', async (_label, change, param, message) => {
    const answer = await raw(fake, 'POST', '/nodes/pve/qemu', { ...validCreate, vmid: '121', ...change });
    expect(answer.status).toBe(400);
    expect(answer.reason).toBe('Parameter verification failed.');
    expect(Object.keys(answer.body)).toEqual(['errors', 'data']);
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors[param]).toMatch(message);
    expect(fake.vms.has(121)).toBe(false);
  });

  it('rejects a missing required parameter, a bad path parameter and an unknown path', async () => {
    const missing = await raw(fake, 'POST', '/nodes/pve/qemu/120/snapshot', {});
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual({ snapname: 'property is missing and it is not optional' });
    const badVmid = await raw(fake, 'GET', '/nodes/pve/qemu/12/status/current');
    expect(badVmid.body.errors).toEqual({ vmid: 'invalid format - value does not look like a valid VM ID' });
    const unknown = await raw(fake, 'GET', '/nodes/pve/lxc');
    expect(unknown.status).toBe(501);
  });

  it('asks for credentials before anything else', async () => {
    expect((await raw(fake, 'GET', '/cluster/nextid', {}, {})).status).toBe(401);
    const wrong = await raw(fake, 'GET', '/cluster/nextid', {}, { authorization: `PVEAPIToken=${TOKEN.id}=wrong` });
    expect(wrong).toMatchObject({ status: 401, reason: 'authentication failure' });
  });

  it('runs tasks asynchronously and lets a test make one fail with a log', async () => {
    fake.tasks.failNext('qmsnapshot', 'snapshot feature is not available', ['saving VM state']);
    await new Promise((resolve) => setTimeout(resolve, fake.taskMs * 2));
    const upid = (await raw(fake, 'POST', '/nodes/pve/qemu/120/snapshot', { snapname: 'first' })).body.data;
    const running = await raw(fake, 'GET', `/nodes/pve/tasks/${encodeURIComponent(upid)}/status`);
    expect(running.body.data).toMatchObject({ status: 'running', type: 'qmsnapshot', id: '120' });
    await new Promise((resolve) => setTimeout(resolve, fake.taskMs * 2));
    const stopped = await raw(fake, 'GET', `/nodes/pve/tasks/${encodeURIComponent(upid)}/status`);
    expect(stopped.body.data).toMatchObject({ status: 'stopped', exitstatus: 'snapshot feature is not available' });
    const log = await raw(fake, 'GET', `/nodes/pve/tasks/${encodeURIComponent(upid)}/log`);
    expect(log.body.data).toEqual([
      { n: 1, t: 'saving VM state' },
      { n: 2, t: 'TASK ERROR: snapshot feature is not available' },
    ]);
  });
});

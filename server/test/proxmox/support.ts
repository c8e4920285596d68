import { HttpsTransport } from '../../src/proxmox/client/https-transport';
import { ProxmoxApi } from '../../src/proxmox/client/proxmox-api';
import type { ProxmoxConnection } from '../../src/proxmox/client/proxmox-connection';
import type { VmSpec } from '../../src/proxmox/vm/vm-spec';
import { FakePve, type FakePveOptions } from './fake-pve/fake-pve-server';
import { makeSelfSignedCertificate, type TestCertificate } from './fake-pve/tls';

export const TOKEN = { id: 'root@pam!rpi-deploy', secret: '5b0f3a52-8d8e-4c4f-9d1a-2f6c1e7b9a10' };
export const USER = { username: 'root@pam', password: 'pve-root-password' };
export const CLOUD_IMAGE = 'local:import/noble-server-cloudimg-amd64.img';
export const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGmXbFakeKeyForTests+/= ops@example.net';

/** One certificate per test file: openssl is quick, but not free. */
let certificate: TestCertificate | undefined;
export function testCertificate(): TestCertificate {
  certificate ??= makeSelfSignedCertificate();
  return certificate;
}

export function startFakePve(options: Partial<FakePveOptions> = {}): Promise<FakePve> {
  return FakePve.start({
    certificate: testCertificate(),
    token: TOKEN,
    user: USER,
    volumes: [CLOUD_IMAGE],
    ...options,
  });
}

/** A connection to the fake that trusts its certificate (through the CA, not --insecure). */
export function connectionTo(fake: FakePve, overrides: Partial<ProxmoxConnection> = {}): ProxmoxConnection {
  return {
    url: fake.url,
    credentials: { kind: 'token', tokenId: TOKEN.id, secret: TOKEN.secret },
    ca: testCertificate().cert,
    ...overrides,
  };
}

export function apiFor(fake: FakePve, overrides: Partial<ProxmoxConnection> = {}): ProxmoxApi {
  return new ProxmoxApi(new HttpsTransport(connectionTo(fake, overrides)), fake.node, { pollMs: 10 });
}

/** The deployment server as the docs describe it: VLAN 101 for management, 151 for the Pis. */
export function deploymentServerSpec(overrides: Partial<VmSpec> = {}): VmSpec {
  return {
    name: 'rpi-deploy',
    cores: 2,
    memoryMiB: 4096,
    diskSize: '32G',
    storage: 'local-lvm',
    source: { kind: 'cloud-image', volume: CLOUD_IMAGE },
    management: { bridge: 'vmbr0', vlan: 101, address: '10.1.0.10/24', gateway: '10.1.0.1' },
    deployment: { bridge: 'vmbr1', vlan: 151, address: '192.168.151.1/24' },
    nameservers: ['10.1.0.1'],
    ciUser: 'deploy',
    sshKeys: SSH_KEY,
    ...overrides,
  };
}

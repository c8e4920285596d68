import { encodeSshKeys, ipconfigProperty, netProperty } from './vm-spec';

describe('VM property strings', () => {
  it('puts a NIC on its bridge and VLAN', () => {
    expect(netProperty({ bridge: 'vmbr1', vlan: 151, address: '192.168.151.1/24' })).toBe(
      'virtio,bridge=vmbr1,tag=151',
    );
  });

  it('writes the static address with the gateway only when there is one', () => {
    expect(ipconfigProperty({ bridge: 'vmbr0', vlan: 101, address: '10.1.0.10/24', gateway: '10.1.0.1' })).toBe(
      'ip=10.1.0.10/24,gw=10.1.0.1',
    );
    expect(ipconfigProperty({ bridge: 'vmbr0', vlan: 151, address: '192.168.151.1/24' })).toBe('ip=192.168.151.1/24');
  });

  it('URL-encodes SSH keys the way Proxmox wants them: %20 for spaces, one key per line, comments dropped', () => {
    const keys = '# laptop\nssh-ed25519 AAAAC3Nz+/= ops@example.net\r\n\n  ssh-rsa AAAAB3 backup  \n';
    const encoded = encodeSshKeys(keys);
    expect(encoded).toBe('ssh-ed25519%20AAAAC3Nz%2B%2F%3D%20ops%40example.net%0Assh-rsa%20AAAAB3%20backup%0A');
    // Proxmox's "urlencoded" format: nothing else may appear.
    expect(encoded).toMatch(/^[-%a-zA-Z0-9_.!~*'()]*$/);
    expect(decodeURIComponent(encoded)).toBe('ssh-ed25519 AAAAC3Nz+/= ops@example.net\nssh-rsa AAAAB3 backup\n');
  });
});

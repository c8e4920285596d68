import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxmoxNotConfiguredError, resolveProxmoxTarget } from './proxmox-target';

describe('resolveProxmoxTarget', () => {
  const complete = {
    url: 'https://pve.example.net:8006',
    node: 'pve',
    vmid: 100,
    tokenId: 'root@pam!rpi-deploy',
    tokenSecret: 'secret-uuid',
    insecure: false,
  };

  it('builds a token connection from the settings', async () => {
    await expect(resolveProxmoxTarget(complete)).resolves.toEqual({
      connection: {
        url: 'https://pve.example.net:8006',
        credentials: { kind: 'token', tokenId: 'root@pam!rpi-deploy', secret: 'secret-uuid' },
        ca: undefined,
        insecure: false,
        timeoutMs: 15_000,
      },
      node: 'pve',
      vmid: 100,
    });
  });

  it('names every missing variable', async () => {
    await expect(resolveProxmoxTarget({ insecure: false, node: 'pve' })).rejects.toThrow(
      new ProxmoxNotConfiguredError(
        'Proxmox is not configured: set PROXMOX_URL, PROXMOX_VMID, PROXMOX_TOKEN_ID, PROXMOX_TOKEN_SECRET ' +
          "(or PROXMOX_TOKEN_SECRET_FILE) in the server's environment and restart it (an API token " +
          'USER@REALM!TOKENID with VM.Audit, VM.Snapshot and VM.Snapshot.Rollback on /vms/<VMID>).',
      ),
    );
  });

  it('reads the secret and the CA from files on each use, and says when it cannot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pve-target-'));
    writeFileSync(join(dir, 'secret'), 'from-file\n');
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
    const settings = {
      ...complete,
      tokenSecret: undefined,
      tokenSecretFile: join(dir, 'secret'),
      caFile: join(dir, 'ca.pem'),
    };
    const target = await resolveProxmoxTarget(settings);
    expect(target.connection.credentials).toMatchObject({ secret: 'from-file' });
    expect(target.connection.ca).toBe('-----BEGIN CERTIFICATE-----');
    writeFileSync(join(dir, 'secret'), 'rotated\n');
    expect((await resolveProxmoxTarget(settings)).connection.credentials).toMatchObject({ secret: 'rotated' });
    await expect(resolveProxmoxTarget({ ...settings, tokenSecretFile: join(dir, 'missing') })).rejects.toThrow(
      `Cannot read PROXMOX_TOKEN_SECRET_FILE (${join(dir, 'missing')}): ENOENT. Check the path and that the server user may read it.`,
    );
  });
});

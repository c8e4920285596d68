import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/run-cli';
import type { FakePve } from './fake-pve/fake-pve-server';
import { CLOUD_IMAGE, SSH_KEY, startFakePve, testCertificate, TOKEN, USER } from './support';

describe('rpi-deploy proxmox', () => {
  let fake: FakePve;
  let dir: string;
  let keyFile: string;
  let secretFile: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'proxmox-cli-'));
    keyFile = join(dir, 'id_ed25519.pub');
    writeFileSync(keyFile, `${SSH_KEY}\n`);
    secretFile = join(dir, 'token-secret');
    writeFileSync(secretFile, `${TOKEN.secret}\n`);
  });
  beforeEach(async () => {
    fake = await startFakePve();
    // The connection from the environment, as an operator's shell profile would hold it.
    env = {
      PROXMOX_URL: fake.url,
      PROXMOX_NODE: 'pve',
      PROXMOX_TOKEN_ID: TOKEN.id,
      PROXMOX_TOKEN_SECRET_FILE: secretFile,
      PROXMOX_CA_FILE: testCertificate().certPath,
    };
  });
  afterEach(() => fake?.close());

  const provisionArgs = [
    'proxmox',
    'provision',
    '--cloud-image',
    CLOUD_IMAGE,
    '--mgmt-ip',
    '10.1.0.10/24',
    '--mgmt-gateway',
    '10.1.0.1',
    '--ssh-key-file',
    '',
    '--task-poll',
    '10',
  ];
  const provision = (...extra: string[]) => provisionArgs.map((arg) => (arg === '' ? keyFile : arg)).concat(extra);

  it('explains itself with --help', async () => {
    const top = await cli(['proxmox', '--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/provision \[options\]\s+create the deployment server VM/);
    expect(top.stdout).toMatch(/status \[options\]/);
    expect(top.stdout).toMatch(/snapshot/);
    const help = await cli(['proxmox', 'provision', '--help']);
    expect(help.code).toBe(0);
    for (const flag of [
      '--host <url>',
      '--token-id <id>',
      '--token-secret-file <path>',
      '--user <user@realm>',
      '--ca-file <path>',
      '--insecure',
      '--dry-run',
      '--mgmt-vlan <tag>',
      '--deploy-vlan <tag>',
      '--cloud-image <volume>',
      '--template <vmid>',
    ]) {
      expect(help.stdout).toContain(flag);
    }
    expect(help.stdout).toContain('(default: 101)');
    expect(help.stdout).toContain('(default: 151)');
  });

  it('provisions with the token from the environment and a secret file, then reports the VM on a re-run', async () => {
    const first = await cli(provision(), env);
    expect(first).toMatchObject({ code: 0, stdout: 'Created and started VM 100 "rpi-deploy" on pve\n' });
    expect(first.stderr).toContain('Starting VM 100');
    expect(fake.vms.get(100)?.status).toBe('running');
    const again = await cli(provision(), env);
    expect(again).toMatchObject({ code: 0, stdout: 'VM "rpi-deploy" already exists: VMID 100 on pve (running)\n' });
    expect(fake.vms.size).toBe(1);
  });

  it('prints the API calls on --dry-run with secrets masked, and sends nothing', async () => {
    const tokenRun = await cli(provision('--dry-run', '--token-secret', TOKEN.secret, '--vmid', '150'), env);
    expect(tokenRun.code).toBe(0);
    expect(fake.requests).toHaveLength(0);
    expect(tokenRun.stdout).not.toContain(TOKEN.secret);
    const lines = tokenRun.stdout.trim().split('\n');
    expect(lines[0]).toBe(`# dry run: nothing is sent to ${fake.url}`);
    expect(lines[1]).toBe(`# every call carries Authorization: PVEAPIToken=${TOKEN.id}=***`);
    expect(lines).toContain('GET /api2/json/cluster/resources type=vm');
    const create = lines.find((line) => line.startsWith('POST /api2/json/nodes/pve/qemu '));
    expect(create).toContain('vmid=150 name=rpi-deploy');
    expect(create).toContain('net0=virtio,bridge=vmbr0,tag=101 net1=virtio,bridge=vmbr0,tag=151');
    expect(create).toContain('ipconfig0=ip=10.1.0.10/24,gw=10.1.0.1 ipconfig1=ip=192.168.151.1/24');
    expect(lines).toContain('PUT /api2/json/nodes/pve/qemu/150/resize disk=scsi0 size=32G');
    expect(lines).toContain('POST /api2/json/nodes/pve/qemu/150/status/start');
    expect(lines.at(-1)).toBe('# dry run: VM "rpi-deploy" would be created and started');

    const passwordEnv = { PROXMOX_URL: fake.url, PROXMOX_NODE: 'pve', PROXMOX_PASSWORD: USER.password };
    const passwordRun = await cli(provision('--dry-run', '--user', USER.username), passwordEnv);
    expect(passwordRun.code).toBe(0);
    expect(passwordRun.stdout).not.toContain(USER.password);
    expect(passwordRun.stdout).toContain('POST /api2/json/access/ticket username=root@pam password=***');
    expect(passwordRun.stdout).toContain('GET /api2/json/cluster/nextid');
    expect(passwordRun.stdout).toContain('POST /api2/json/nodes/pve/qemu vmid=$VMID');
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses the self-signed certificate without --ca-file, and accepts --insecure', async () => {
    const { PROXMOX_CA_FILE: _ca, ...withoutCa } = env;
    const refused = await cli(provision(), withoutCa);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^rpi-deploy: The TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted/);
    expect(fake.vms.size).toBe(0);
    const insecure = await cli(provision('--insecure'), withoutCa);
    expect(insecure).toMatchObject({ code: 0, stdout: 'Created and started VM 100 "rpi-deploy" on pve\n' });
  });

  it('says what is missing, and prints task failures with their log', async () => {
    const noAuth = await cli(provision(), { PROXMOX_URL: fake.url, PROXMOX_NODE: 'pve' });
    expect(noAuth.code).toBe(1);
    expect(noAuth.stderr).toMatch(/^rpi-deploy: Say how to log in: --token-id USER@REALM!TOKENID/);
    const noSource = await cli(['proxmox', 'provision', '--mgmt-ip', '10.1.0.10/24', '--ssh-key-file', keyFile], env);
    expect(noSource.stderr).toBe(
      'rpi-deploy: Give the system disk source: --cloud-image VOLUME or --template VMID (one of them)\n',
    );
    const badIp = await cli(provision('--deploy-ip', '192.168.151.1'), env);
    expect(badIp.code).toBe(1);
    expect(badIp.stderr).toContain("option '--deploy-ip <cidr>' argument '192.168.151.1' is invalid");

    fake.tasks.failNext('qmstart', 'start failed: QEMU exited with code 1', ['kvm: -drive ...: Could not open disk']);
    const failed = await cli(provision(), env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      'rpi-deploy: Proxmox task qmstart of 100 failed: start failed: QEMU exited with code 1',
    );
    expect(failed.stderr).toContain('  kvm: -drive ...: Could not open disk');
  });

  it('shows status, takes, lists and rolls back snapshots, makes templates and backups', async () => {
    await cli(provision(), env);
    fake.agentInterfaces.set(100, [
      { name: 'lo', 'ip-addresses': [{ 'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4', prefix: 8 }] },
      {
        name: 'eth0',
        'hardware-address': 'bc:24:11:00:00:01',
        'ip-addresses': [{ 'ip-address': '10.1.0.10', 'ip-address-type': 'ipv4', prefix: 24 }],
      },
    ]);
    const vmEnv = { ...env, PROXMOX_VMID: '100' };
    const status = await cli(['proxmox', 'status', '--task-poll', '10'], vmEnv);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      /^VM 100 "rpi-deploy" on pve: running, up \dm\n2 cores, 4096 MiB\naddresses: 10\.1\.0\.10\/24 \(eth0\)\n$/,
    );

    expect(
      (
        await cli(
          ['proxmox', 'snapshot', 'create', 'before_upgrade', '--description', 'v1.4', '--task-poll', '10'],
          vmEnv,
        )
      ).stdout,
    ).toBe('Snapshot "before_upgrade" of VM 100 taken\n');
    const list = await cli(['--json', 'proxmox', 'snapshot', 'list'], vmEnv);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ name: 'before_upgrade', description: 'v1.4', includesRam: false }),
    ]);
    const badName = await cli(['proxmox', 'snapshot', 'create', 'before-upgrade'], vmEnv);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain("snapname: invalid format - invalid configuration ID 'before-upgrade'");

    const rollback = await cli(
      ['proxmox', 'snapshot', 'rollback', 'before_upgrade', '--no-start', '--task-poll', '10'],
      vmEnv,
    );
    expect(rollback.stdout).toBe('VM 100 rolled back to "before_upgrade"\n');
    expect(fake.vms.get(100)?.status).toBe('stopped');

    expect((await cli(['proxmox', 'backup', '--storage', 'local', '--task-poll', '10'], vmEnv)).stdout).toBe(
      'VM 100 backed up to /var/lib/vz/dump/vzdump-qemu-100-2026_11_26-01_00_00.vma.zst\n',
    );
    expect(fake.calls().find((r) => r.path === '/nodes/pve/vzdump')?.params).toEqual({
      vmid: '100',
      storage: 'local',
      mode: 'snapshot',
      compress: 'zstd',
    });
    expect((await cli(['proxmox', 'template', '--task-poll', '10'], vmEnv)).stdout).toBe('VM 100 is now a template\n');
    expect(fake.vms.get(100)?.template).toBe(true);
  });
});

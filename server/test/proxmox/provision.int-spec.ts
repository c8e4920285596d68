import { ProxmoxTaskError } from '../../src/proxmox/client/proxmox-errors';
import { provisionVm } from '../../src/proxmox/vm/vm-provisioner';
import type { FakePve } from './fake-pve/fake-pve-server';
import { apiFor, deploymentServerSpec, SSH_KEY, startFakePve } from './support';

describe('provisioning the deployment server VM (API token)', () => {
  let fake: FakePve;
  beforeEach(async () => (fake = await startFakePve()));
  afterEach(() => fake?.close());

  it('creates the VM from a cloud image with both NICs and cloud-init, grows the disk and starts it', async () => {
    const steps: string[] = [];
    const result = await provisionVm(apiFor(fake), deploymentServerSpec(), (step) => steps.push(step));

    expect(result).toEqual({ vmid: 100, node: 'pve', name: 'rpi-deploy', created: true, status: 'running' });
    const vm = fake.vms.get(100)!;
    expect(vm.status).toBe('running');
    expect(vm.config).toMatchObject({
      cores: '2',
      memory: '4096',
      net0: 'virtio,bridge=vmbr0,tag=101',
      net1: 'virtio,bridge=vmbr1,tag=151',
      ipconfig0: 'ip=10.1.0.10/24,gw=10.1.0.1',
      ipconfig1: 'ip=192.168.151.1/24',
      ciuser: 'deploy',
      nameserver: '10.1.0.1',
      ide2: 'local-lvm:vm-100-cloudinit,media=cdrom',
      agent: 'enabled=1',
      boot: 'order=scsi0',
    });
    expect(vm.config['scsi0']).toBe('local-lvm:vm-100-disk-0,discard=on,iothread=1,size=32G');
    expect(decodeURIComponent(vm.config['sshkeys'])).toBe(`${SSH_KEY}\n`);
    expect(steps).toEqual([
      `Creating VM 100 "rpi-deploy" with its disk imported from local:import/noble-server-cloudimg-amd64.img`,
      'Growing the system disk to 32G',
      'Starting VM 100',
    ]);

    // Every task was followed to its end before the next call was made.
    const tasks = fake.tasks.all();
    expect(tasks.map((task) => task.type)).toEqual(['qmcreate', 'resize', 'qmstart']);
    for (const task of tasks) {
      const polls = fake.requests.filter((r) => r.path === `/nodes/pve/tasks/${encodeURIComponent(task.upid)}/status`);
      expect(polls.at(-1)?.status).toBe(200);
      expect(polls.length).toBeGreaterThan(1);
    }
    expect(fake.requests.every((r) => r.auth === 'token' && r.status === 200)).toBe(true);
  });

  it('is idempotent by name: a re-run reports the existing VM and changes nothing', async () => {
    await provisionVm(apiFor(fake), deploymentServerSpec());
    const before = fake.requests.length;
    const again = await provisionVm(apiFor(fake), deploymentServerSpec({ cores: 8 }));
    expect(again).toEqual({ vmid: 100, node: 'pve', name: 'rpi-deploy', created: false, status: 'running' });
    expect(fake.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /cluster/resources']);
    expect(fake.vms.size).toBe(1);
    expect(fake.vms.get(100)!.config['cores']).toBe('2');
  });

  it('uses the VMID given, and refuses one that another VM has', async () => {
    const result = await provisionVm(apiFor(fake), deploymentServerSpec({ vmid: 151 }));
    expect(result.vmid).toBe(151);
    expect(fake.calls().some((r) => r.path === '/cluster/nextid')).toBe(false);
    await expect(provisionVm(apiFor(fake), deploymentServerSpec({ name: 'other', vmid: 151 }))).rejects.toThrow(
      'VMID 151 is already used by "rpi-deploy" on pve: pick another --vmid or leave it out',
    );
  });

  it('clones a template, adds a cloud-init drive when it has none, and configures the clone', async () => {
    fake.vms.set(9000, {
      vmid: 9000,
      name: 'ubuntu-2404-template',
      config: { scsi0: 'local-lvm:base-9000-disk-0,size=3584M', scsihw: 'virtio-scsi-single', memory: '2048' },
      status: 'stopped',
      template: true,
      snapshots: [],
    });
    const result = await provisionVm(apiFor(fake), deploymentServerSpec({ source: { kind: 'template', vmid: 9000 } }));
    expect(result).toMatchObject({ vmid: 100, created: true });
    expect(fake.calls().find((r) => r.path === '/nodes/pve/qemu/9000/clone')?.params).toEqual({
      newid: '100',
      name: 'rpi-deploy',
      full: '1',
      storage: 'local-lvm',
    });
    expect(fake.vms.get(100)!.config).toMatchObject({
      memory: '4096',
      net0: 'virtio,bridge=vmbr0,tag=101',
      net1: 'virtio,bridge=vmbr1,tag=151',
      ipconfig1: 'ip=192.168.151.1/24',
      ide2: 'local-lvm:vm-100-cloudinit,media=cdrom',
      scsi0: 'local-lvm:vm-100-disk-0,size=32G',
    });
    expect(fake.vms.get(100)!.status).toBe('running');
    expect(fake.tasks.all().map((task) => task.type)).toEqual(['qmclone', 'qmconfig', 'resize', 'qmstart']);
  });

  it('fails with the task log when a task fails, and starts nothing after it', async () => {
    fake.tasks.failNext('qmcreate', "unable to create VM 100 - no space left on storage 'local-lvm'", [
      "importing disk 'local:import/noble-server-cloudimg-amd64.img' to VM 100 ...",
      'qemu-img: error while writing at byte 2147483648: No space left on device',
    ]);
    const failure = await provisionVm(apiFor(fake), deploymentServerSpec()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProxmoxTaskError);
    const message = (failure as Error).message;
    expect(message).toContain(
      "Proxmox task qmcreate of 100 failed: unable to create VM 100 - no space left on storage 'local-lvm'",
    );
    expect(message).toContain('  qemu-img: error while writing at byte 2147483648: No space left on device');
    expect(message).toContain("  TASK ERROR: unable to create VM 100 - no space left on storage 'local-lvm'");
    expect(fake.calls().some((r) => r.path.endsWith('/status/start') || r.path.endsWith('/resize'))).toBe(false);
    expect(fake.vms.size).toBe(0);
  });

  it('fails when the cloud image is missing on the storage (task error from Proxmox)', async () => {
    fake.volumes.clear();
    await expect(provisionVm(apiFor(fake), deploymentServerSpec())).rejects.toThrow(
      /qmcreate of 100 failed: volume 'local:import\/noble-server-cloudimg-amd64.img' does not exist/,
    );
  });
});

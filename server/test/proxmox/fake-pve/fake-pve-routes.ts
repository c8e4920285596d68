import type { FakePve } from './fake-pve-server';
import { HttpError } from './http-error';

export interface FakeVm {
  vmid: number;
  name?: string;
  config: Record<string, string>;
  status: 'running' | 'stopped';
  template: boolean;
  startedAt?: number;
  snapshots: Array<{ name: string; description: string; snaptime: number; parent?: string; vmstate?: number }>;
}

export interface Route {
  /** "METHOD /path/{param}" exactly as in the schema fixture. */
  endpoint: string;
  handle(params: Record<string, string>, context: { fake: FakePve; user: string }): unknown;
}

const vmOf = (fake: FakePve, params: Record<string, string>): FakeVm => {
  const vm = fake.vms.get(Number(params['vmid']));
  if (!vm)
    throw new HttpError(
      500,
      `Configuration file 'nodes/${fake.node}/qemu-server/${params['vmid']}.conf' does not exist`,
    );
  return vm;
};

/** Disk sizes as Proxmox writes them (`32G`), in bytes. */
const sizeBytes = (text: string): number => {
  const match = /^(\d+(?:\.\d+)?)([KMGT])?$/.exec(text);
  if (!match) throw new Error(`invalid size '${text}'`);
  return Number(match[1]) * 1024 ** (' KMGT'.indexOf(match[2] ?? ' ') || 0);
};

/** Parameters that steer a call and are not part of the VM's stored config. */
const NOT_CONFIG = new Set(['node', 'vmid', 'start', 'digest', 'delete', 'revert', 'skiplock', 'force']);

/** `local-lvm:0,import-from=...` -> the disk Proxmox allocates (`local-lvm:vm-100-disk-0,size=3584M`). */
function allocate(value: string, vmid: number, fake: FakePve, index: number): string {
  const [volume, ...options] = value.split(',');
  const [storage, size] = volume.split(':');
  if (size === 'cloudinit') return `${storage}:vm-${vmid}-cloudinit,media=cdrom`;
  if (!/^\d+(\.\d+)?$/.test(size ?? '')) return value;
  const importFrom = options.find((option) => option.startsWith('import-from='))?.slice('import-from='.length);
  if (importFrom && !fake.volumes.has(importFrom)) throw new Error(`volume '${importFrom}' does not exist`);
  const rest = options.filter((option) => !option.startsWith('import-from='));
  const bytes = importFrom ? 3584 * 2 ** 20 : Number(size) * 2 ** 30;
  return [`${storage}:vm-${vmid}-disk-${index}`, ...rest, `size=${bytes / 2 ** 20}M`].join(',');
}

function configFrom(params: Record<string, string>, vmid: number, fake: FakePve): Record<string, string> {
  let disk = 0;
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (NOT_CONFIG.has(key)) continue;
    config[key] = /^(scsi|ide|sata|virtio)\d+$/.test(key) ? allocate(value, vmid, fake, disk++) : value;
  }
  return config;
}

export const vmRoutes: Route[] = [
  { endpoint: 'POST /access/ticket', handle: (params, { fake }) => fake.login(params) },
  {
    endpoint: 'GET /cluster/resources',
    handle: (_params, { fake }) =>
      [...fake.vms.values()].map((vm) => ({
        id: `qemu/${vm.vmid}`,
        type: 'qemu',
        vmid: vm.vmid,
        name: vm.name,
        node: fake.node,
        status: vm.status,
        template: vm.template ? 1 : 0,
        maxcpu: Number(vm.config['cores'] ?? 1),
        maxmem: Number(vm.config['memory'] ?? 512) * 2 ** 20,
      })),
  },
  {
    endpoint: 'GET /cluster/nextid',
    // Proxmox answers a string here.
    handle: (_params, { fake }) => {
      let vmid = 100;
      while (fake.vms.has(vmid)) vmid++;
      return String(vmid);
    },
  },
  {
    endpoint: 'POST /nodes/{node}/qemu',
    handle: (params, { fake, user }) => {
      const vmid = Number(params['vmid']);
      if (fake.vms.has(vmid))
        throw new HttpError(500, `unable to create VM ${vmid} - VM ${vmid} already exists on node '${fake.node}'`);
      return fake.tasks.start('qmcreate', String(vmid), user, {
        log: params['scsi0']?.includes('import-from=')
          ? [
              `importing disk '${/import-from=([^,]+)/.exec(params['scsi0'])![1]}' to VM ${vmid} ...`,
              'transferred 3.5 GiB of 3.5 GiB (100.00%)',
            ]
          : [],
        apply: () => {
          fake.vms.set(vmid, {
            vmid,
            name: params['name'],
            config: configFrom(params, vmid, fake),
            status: 'stopped',
            template: false,
            snapshots: [],
          });
        },
      });
    },
  },
  {
    endpoint: 'POST /nodes/{node}/qemu/{vmid}/clone',
    handle: (params, { fake, user }) => {
      const source = vmOf(fake, params);
      const newid = Number(params['newid']);
      if (fake.vms.has(newid)) throw new HttpError(500, `unable to create VM ${newid}: config file already exists`);
      if (!source.template && params['full'] !== '1')
        throw new HttpError(500, 'Linked clone feature is not supported for a VM');
      return fake.tasks.start('qmclone', String(source.vmid), user, {
        log: [`create full clone of drive scsi0 (${source.config['scsi0']})`],
        apply: () => {
          const config = Object.fromEntries(
            Object.entries(source.config).map(([key, value]) => [
              key,
              value.replace(new RegExp(`(base|vm)-${source.vmid}-`), `vm-${newid}-`),
            ]),
          );
          delete config['template'];
          fake.vms.set(newid, {
            vmid: newid,
            name: params['name'],
            config,
            status: 'stopped',
            template: false,
            snapshots: [],
          });
        },
      });
    },
  },
  {
    endpoint: 'GET /nodes/{node}/qemu/{vmid}/config',
    handle: (params, { fake }) => {
      const vm = vmOf(fake, params);
      return { ...vm.config, name: vm.name, digest: 'f'.repeat(40) };
    },
  },
  {
    endpoint: 'POST /nodes/{node}/qemu/{vmid}/config',
    handle: (params, { fake, user }) => {
      const vm = vmOf(fake, params);
      return fake.tasks.start('qmconfig', String(vm.vmid), user, {
        apply: () => Object.assign(vm.config, configFrom(params, vm.vmid, fake)),
      });
    },
  },
  {
    endpoint: 'PUT /nodes/{node}/qemu/{vmid}/resize',
    handle: (params, { fake, user }) => {
      const vm = vmOf(fake, params);
      const disk = vm.config[params['disk']];
      if (!disk) throw new HttpError(500, `disk '${params['disk']}' does not exist`);
      return fake.tasks.start('resize', String(vm.vmid), user, {
        apply: () => {
          const current = sizeBytes(/size=([^,]+)/.exec(disk)?.[1] ?? '0');
          const wanted = sizeBytes(params['size'].replace(/^\+/, ''));
          const target = params['size'].startsWith('+') ? current + wanted : wanted;
          if (target < current) throw new Error('shrinking disks is not supported');
          vm.config[params['disk']] = disk.replace(/size=[^,]+/, `size=${target / 2 ** 30}G`);
        },
      });
    },
  },
  {
    endpoint: 'POST /nodes/{node}/qemu/{vmid}/status/start',
    handle: (params, { fake, user }) => {
      const vm = vmOf(fake, params);
      if (vm.template) throw new HttpError(500, "you can't start a vm if it's a template");
      if (vm.status === 'running') throw new HttpError(500, `VM ${vm.vmid} already running`);
      return fake.tasks.start('qmstart', String(vm.vmid), user, {
        apply: () => Object.assign(vm, { status: 'running', startedAt: Date.now() }),
      });
    },
  },
  {
    endpoint: 'GET /nodes/{node}/qemu/{vmid}/status/current',
    handle: (params, { fake }) => {
      const vm = vmOf(fake, params);
      return {
        vmid: vm.vmid,
        name: vm.name,
        status: vm.status,
        qmpstatus: vm.status,
        uptime: vm.startedAt && vm.status === 'running' ? Math.floor((Date.now() - vm.startedAt) / 1000) : 0,
        cpus: Number(vm.config['cores'] ?? 1),
        maxmem: Number(vm.config['memory'] ?? 512) * 2 ** 20,
        agent: /^(enabled=)?1/.test(vm.config['agent'] ?? '') ? 1 : undefined,
      };
    },
  },
  {
    endpoint: 'GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces',
    handle: (params, { fake }) => {
      const vm = vmOf(fake, params);
      if (vm.status !== 'running') throw new HttpError(500, `VM ${vm.vmid} is not running`);
      const interfaces = fake.agentInterfaces.get(vm.vmid);
      if (!interfaces) throw new HttpError(500, 'QEMU guest agent is not running');
      return { result: interfaces };
    },
  },
  {
    endpoint: 'GET /nodes/{node}/qemu/{vmid}/snapshot',
    handle: (params, { fake }) => {
      const vm = vmOf(fake, params);
      const last = vm.snapshots.at(-1)?.name;
      return [
        ...vm.snapshots,
        { name: 'current', description: 'You are here!', running: vm.status === 'running' ? 1 : 0, parent: last },
      ];
    },
  },
  {
    endpoint: 'POST /nodes/{node}/qemu/{vmid}/snapshot',
    handle: (params, { fake, user }) => {
      const vm = vmOf(fake, params);
      const name = params['snapname'];
      if (vm.snapshots.some((s) => s.name === name)) throw new HttpError(500, `snapshot name '${name}' already used`);
      return fake.tasks.start('qmsnapshot', String(vm.vmid), user, {
        apply: () =>
          vm.snapshots.push({
            name,
            description: params['description'] ?? '',
            snaptime: Math.floor(Date.now() / 1000),
            parent: vm.snapshots.at(-1)?.name,
            vmstate: params['vmstate'] === '1' ? 1 : undefined,
          }),
      });
    },
  },
  {
    endpoint: 'POST /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback',
    handle: (params, { fake, user }) => {
      const vm = vmOf(fake, params);
      if (!vm.snapshots.some((s) => s.name === params['snapname'])) {
        throw new HttpError(500, `snapshot '${params['snapname']}' does not exist`);
      }
      return fake.tasks.start('qmrollback', String(vm.vmid), user, {
        apply: () => {
          vm.status = params['start'] === '1' ? 'running' : 'stopped';
          vm.startedAt = params['start'] === '1' ? Date.now() : undefined;
        },
      });
    },
  },
  {
    endpoint: 'POST /nodes/{node}/qemu/{vmid}/template',
    handle: (params, { fake, user }) => {
      const vm = vmOf(fake, params);
      if (vm.status === 'running') throw new HttpError(500, "you can't convert a running VM to a template");
      return fake.tasks.start('qmtemplate', String(vm.vmid), user, {
        apply: () => {
          vm.template = true;
          vm.config['template'] = '1';
        },
      });
    },
  },
  {
    endpoint: 'POST /nodes/{node}/vzdump',
    handle: (params, { fake, user }) => {
      const vmid = Number(params['vmid']);
      if (!fake.vms.has(vmid)) throw new HttpError(500, `unable to find VM '${vmid}'`);
      const archive = `/var/lib/vz/dump/vzdump-qemu-${vmid}-2026_11_26-01_00_00.vma.zst`;
      return fake.tasks.start('vzdump', String(vmid), user, {
        log: [
          `INFO: starting new backup job: vzdump ${vmid} --mode ${params['mode'] ?? 'snapshot'}`,
          `INFO: creating vzdump archive '${archive}'`,
          'INFO: Backup job finished successfully',
        ],
      });
    },
  },
  {
    endpoint: 'GET /nodes/{node}/tasks/{upid}/status',
    handle: (params, { fake }) => {
      const task = fake.tasks.get(params['upid']);
      if (!task) throw new HttpError(500, `unable to parse worker upid '${params['upid']}'`);
      return {
        upid: task.upid,
        node: fake.node,
        type: task.type,
        id: task.id,
        user: task.user,
        starttime: Math.floor(task.startedAt / 1000),
        status: task.exitstatus === undefined ? 'running' : 'stopped',
        ...(task.exitstatus === undefined ? {} : { exitstatus: task.exitstatus }),
      };
    },
  },
  {
    endpoint: 'GET /nodes/{node}/tasks/{upid}/log',
    handle: (params, { fake }) => {
      const task = fake.tasks.get(params['upid']);
      if (!task) throw new HttpError(500, `unable to parse worker upid '${params['upid']}'`);
      const start = Number(params['start'] ?? 0);
      const limit = Number(params['limit'] ?? 50);
      return task.log.slice(start, start + limit).map((t, i) => ({ n: start + i + 1, t }));
    },
  },
];

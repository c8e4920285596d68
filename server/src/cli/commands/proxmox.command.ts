import { Command } from 'commander';
import { CliError } from '../api-client';
import type { ContextFactory } from '../context';
import { printRows } from '../output';
import { DryRunTransport } from '../../proxmox/client/dry-run-transport';
import { HttpsTransport } from '../../proxmox/client/https-transport';
import { ProxmoxApi } from '../../proxmox/client/proxmox-api';
import { ProxmoxError } from '../../proxmox/client/proxmox-errors';
import { addConnectionOptions, resolveConnection, type ConnectionFlags } from '../../proxmox/cli/connection-options';
import { addProvisionOptions, vmSpecFrom, type ProvisionFlags } from '../../proxmox/cli/provision-options';
import { provisionVm } from '../../proxmox/vm/vm-provisioner';
import { vmSnapshots, vmStatus } from '../../proxmox/vm/vm-views';

type Env = Record<string, string | undefined>;

const HELP_AFTER = `
Talks to Proxmox VE directly (not through the rpi-deploy server). Every flag of the connection
falls back to its PROXMOX_* variable. Secrets come only from flags, those variables or files
(--token-secret-file, --password-file) and are never printed; --dry-run masks them.
The TLS certificate is verified: give a private CA with --ca-file, or --insecure to skip.`;

/** `rpi-deploy proxmox ...`: the deployment server's own VM on Proxmox VE. */
export function proxmoxCommand(context: ContextFactory, env: Env): Command {
  const proxmox = new Command('proxmox')
    .description("the deployment server's VM on Proxmox VE: provision, status, snapshots, template, backup")
    .addHelpText('after', HELP_AFTER);

  /** The API on the chosen node (or the dry run), and where to print. */
  const session = (command: Command) => {
    const flags = command.opts<ConnectionFlags>();
    const { output, json } = context(command);
    const { connection, node } = resolveConnection(flags, env);
    const transport = flags.dryRun
      ? new DryRunTransport(connection, (line) => output.out(line))
      : new HttpsTransport(connection);
    const api = new ProxmoxApi(transport, node, { pollMs: flags.taskPoll });
    return { api, output, json, dryRun: flags.dryRun === true };
  };
  /** Commands name their VM with --vmid or PROXMOX_VMID. */
  const vmidOf = (command: Command): number => {
    const given = command.opts<{ vmid?: string }>().vmid ?? env['PROXMOX_VMID'];
    if (!given || !/^[1-9]\d{2,8}$/.test(given)) throw new CliError('Say which VM: --vmid N (or PROXMOX_VMID)');
    return Number(given);
  };

  addProvisionOptions(addConnectionOptions(proxmox.command('provision')))
    .description('create the deployment server VM (two NICs, cloud-init) and start it; re-runs report the existing VM')
    .addHelpText(
      'after',
      '\nExample:\n  rpi-deploy proxmox provision --host https://pve:8006 --node pve \\\n' +
        '    --token-id root@pam!rpi-deploy --token-secret-file /root/pve-token \\\n' +
        '    --cloud-image local:import/noble-server-cloudimg-amd64.img \\\n' +
        '    --mgmt-ip 10.1.0.10/24 --mgmt-gateway 10.1.0.1 --ssh-key-file ~/.ssh/id_ed25519.pub',
    )
    .action(
      handle(async (_options: object, command: Command) => {
        const spec = vmSpecFrom(command.opts<ProvisionFlags>());
        const { api, output, json, dryRun } = session(command);
        const result = await provisionVm(api, spec, (step) => {
          if (!json) output.err(step);
        });
        if (json) output.out(JSON.stringify(result, null, 2));
        else if (dryRun) output.out(`# dry run: VM "${result.name}" would be created and started`);
        else if (result.created) output.out(`Created and started VM ${result.vmid} "${result.name}" on ${result.node}`);
        else output.out(`VM "${result.name}" already exists: VMID ${result.vmid} on ${result.node} (${result.status})`);
      }),
    );

  addConnectionOptions(proxmox.command('status'))
    .description('state, uptime, size and guest-agent addresses of the VM')
    .option('--vmid <id>', 'the VM (env PROXMOX_VMID)')
    .action(
      handle(async (_options: object, command: Command) => {
        const { api, output, json } = session(command);
        const status = await vmStatus(api, vmidOf(command));
        if (json) {
          output.out(JSON.stringify(status, null, 2));
          return;
        }
        output.out(
          [
            `VM ${status.vmid} "${status.name ?? ''}" on ${status.node}: ${status.state}, up ${formatUptime(status.uptimeSeconds)}`,
            `${status.cores ?? '?'} cores, ${status.memoryMiB ?? '?'} MiB`,
            status.agentRunning
              ? `addresses: ${status.addresses.map((a) => `${a.address} (${a.interface})`).join(', ') || 'none'}`
              : 'addresses: unknown (the guest agent is not running)',
          ].join('\n'),
        );
      }),
    );

  const snapshot = proxmox.command('snapshot').description('list, take or roll back snapshots of the VM');
  addConnectionOptions(snapshot.command('list'))
    .description('snapshots, newest first')
    .option('--vmid <id>', 'the VM (env PROXMOX_VMID)')
    .action(
      handle(async (_options: object, command: Command) => {
        const { api, output, json } = session(command);
        printRows(
          output,
          await vmSnapshots(api, vmidOf(command)),
          [
            ['name', (s) => s.name],
            ['taken', (s) => s.createdAt],
            ['RAM', (s) => (s.includesRam ? 'yes' : 'no')],
            ['description', (s) => s.description],
          ],
          json,
        );
      }),
    );
  addConnectionOptions(snapshot.command('create'))
    .description('take a snapshot (disk only) and wait for it')
    .argument('<name>', 'letters, digits and "_", starting with a letter, e.g. before_upgrade')
    .option('--description <text>', 'what it is for')
    .option('--vmid <id>', 'the VM (env PROXMOX_VMID)')
    .action(
      handle(async (name: string, options: { description?: string }, command: Command) => {
        const { api, output } = session(command);
        const vmid = vmidOf(command);
        await api.createSnapshot(vmid, name, options.description);
        output.out(`Snapshot "${name}" of VM ${vmid} taken`);
      }),
    );
  addConnectionOptions(snapshot.command('rollback'))
    .description('roll the VM back to a snapshot and start it again')
    .argument('<name>')
    .option('--vmid <id>', 'the VM (env PROXMOX_VMID)')
    .option('--no-start', 'leave the VM stopped after the rollback')
    .action(
      handle(async (name: string, options: { start: boolean }, command: Command) => {
        const { api, output } = session(command);
        const vmid = vmidOf(command);
        await api.finish(await api.startRollback(vmid, name, options.start));
        output.out(`VM ${vmid} rolled back to "${name}"${options.start ? ' and started' : ''}`);
      }),
    );

  addConnectionOptions(proxmox.command('template'))
    .description('turn a (stopped) VM into a template to clone from with provision --template')
    .option('--vmid <id>', 'the VM (env PROXMOX_VMID)')
    .action(
      handle(async (_options: object, command: Command) => {
        const { api, output } = session(command);
        const vmid = vmidOf(command);
        await api.convertToTemplate(vmid);
        output.out(`VM ${vmid} is now a template`);
      }),
    );

  addConnectionOptions(proxmox.command('backup'))
    .description('back the VM up with vzdump and wait for it')
    .option('--vmid <id>', 'the VM (env PROXMOX_VMID)')
    .option('--storage <id>', 'backup storage (default: the node default)')
    .option('--mode <mode>', 'snapshot (no downtime), suspend or stop', 'snapshot')
    .action(
      handle(async (options: { storage?: string; mode: string }, command: Command) => {
        const { api, output } = session(command);
        const vmid = vmidOf(command);
        const log = await api.backup(vmid, { storage: options.storage, mode: options.mode, compress: 'zstd' });
        const archive = log.map((line) => /creating vzdump archive '([^']+)'/.exec(line)?.[1]).find(Boolean);
        output.out(`VM ${vmid} backed up${archive ? ` to ${archive}` : ''}`);
      }),
    );

  return proxmox;
}

/** Proxmox's own errors are meant for the operator: print them as they are, exit 1. */
function handle<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await action(...args);
    } catch (error) {
      if (error instanceof ProxmoxError) throw new CliError(error.message);
      throw error;
    }
  };
}

function formatUptime(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return days > 0 ? `${days}d ${hours}h` : hours > 0 ? `${hours}h ${minutes}m` : `${minutes}m`;
}

import { Command, Option } from 'commander';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaptureMarkDto, NetbootDeviceDto, NetbootStatusDto } from '@rpi-deploy/contracts';
import { checkDnsmasqConfig } from '../../netboot/dnsmasq/dnsmasq-check';
import {
  dnsmasqSettingsProblems,
  renderDnsmasqConfig,
  type DnsmasqSettings,
} from '../../netboot/dnsmasq/dnsmasq-config';
import { loadConfig } from '../../config/load-config';
import { dnsmasqSettingsOf } from '../../netboot/dnsmasq/dnsmasq-settings';
import { CliError } from '../api-client';
import type { ContextFactory } from '../context';
import { printRows } from '../output';

/** The hook shipped next to this program (four folders up, in dist as in the sources). */
const DEFAULT_HOOK = join(__dirname, '../../../../infra/dnsmasq/rpi-deploy-dhcp-hook.sh');

interface RenderOptions {
  settings?: boolean;
  interface?: string;
  serverIp?: string;
  range?: string;
  netmask: string;
  leaseTime: string;
  tftpRoot?: string;
  tftpMax: string;
  hook?: string;
  log?: string;
  leaseFile?: string;
  out?: string;
  check: boolean;
}

export function netbootCommand(context: ContextFactory, env: Record<string, string | undefined>): Command {
  const netboot = new Command('netboot').description(
    'network boot: dnsmasq configuration, TFTP root, units seen booting',
  );

  netboot
    .command('render-dnsmasq')
    .description('print (or write) the dnsmasq configuration for the deployment network; works without the server')
    .option(
      '--settings',
      "take every value from the server's environment (NETBOOT_*, TFTP_ROOT, DNSMASQ_*), as the server does",
    )
    .option('--interface <name>', 'NIC on the deployment VLAN, e.g. eth1')
    .option('--server-ip <ip>', "this server's address on that NIC (next-server)")
    .option('--range <first,last>', 'DHCP range, e.g. 192.168.151.100,192.168.151.250')
    .option('--tftp-root <dir>', 'TFTP root (the symlink sync-tftp manages)')
    .option('--netmask <mask>', 'subnet mask', '255.255.255.0')
    .option('--lease-time <time>', 'lease time', '1h')
    .option('--tftp-max <n>', 'concurrent TFTP transfers', '1000')
    .option('--hook <path>', 'dhcp-script forwarding events to the server (infra/dnsmasq/rpi-deploy-dhcp-hook.sh)')
    .option('--log <file>', 'log-facility file the server follows for TFTP events')
    .option('--lease-file <file>', 'dhcp-leasefile')
    .option('--out <file>', 'write it to this file (atomically) instead of printing it')
    .option('--no-check', 'skip `dnsmasq --test` (when dnsmasq is not installed on this machine)')
    .action(async (options: RenderOptions, command: Command) => {
      const { output } = context(command);
      const settings = options.settings ? settingsFromEnvironment(env) : settingsFromOptions(options);
      const problems = dnsmasqSettingsProblems(settings);
      if (problems.length > 0) throw new CliError(`cannot render: ${problems.join('; ')}`);
      const text = renderDnsmasqConfig(settings);
      if (options.check) {
        const check = await checkDnsmasqConfig(text);
        if (!check.ok)
          throw new CliError(`dnsmasq --test refuses the configuration: ${check.output} (--no-check skips this)`);
      }
      if (!options.out) {
        output.out(text);
        return;
      }
      await writeFile(`${options.out}.new`, text, { mode: 0o644 });
      await rename(`${options.out}.new`, options.out);
      output.err(`Wrote ${options.out}${options.check ? ' (dnsmasq --test: syntax check OK)' : ''}`);
    });

  netboot
    .command('apply-dnsmasq')
    .description(
      "write the running server's dnsmasq configuration (from its NETBOOT_* settings) to DNSMASQ_CONFIG, after dnsmasq --test",
    )
    .action(async (_options: object, command: Command) => {
      const { api, output, json } = context(command);
      const applied = await api.post<{ path: string; check: { output: string } }>('/api/netboot/dnsmasq-config/apply');
      output.out(
        json
          ? JSON.stringify(applied, null, 2)
          : `Wrote ${applied.path} (${applied.check.output}); restart rpi-deploy-dnsmasq to use it`,
      );
    });

  netboot
    .command('sync-tftp')
    .description("fill the TFTP root from the active images' boot partitions and the templates (atomic switch)")
    .action(async (_options: object, command: Command) => {
      const { api, output, json } = context(command);
      const tftp = await api.post<NetbootStatusDto['tftp']>('/api/netboot/sync-tftp');
      output.out(
        json
          ? JSON.stringify(tftp, null, 2)
          : `TFTP root ${tftp.root} now boots ${tftp.images.map((i) => `${i.product} ${i.version}`).join(', ')} (synced ${tftp.syncedAt})`,
      );
    });

  netboot
    .command('status')
    .description('dnsmasq process and TFTP root')
    .action(async (_options: object, command: Command) => {
      const { api, output, json } = context(command);
      const status = await api.get<NetbootStatusDto>('/api/netboot/status');
      if (json) return output.out(JSON.stringify(status, null, 2));
      output.out(
        [
          `dnsmasq    ${status.dnsmasq.running ? `running (pid ${status.dnsmasq.pid})` : 'not running'} with ${status.dnsmasq.configPath}`,
          `TFTP root  ${status.tftp.root}: ${status.tftp.complete ? 'complete' : `incomplete, missing ${status.tftp.missing.join(', ')}`}`,
          `images     ${status.tftp.images.map((i) => `${i.product} ${i.version}`).join(', ') || 'none'}${status.tftp.syncedAt ? `, synced ${status.tftp.syncedAt}` : ''}`,
        ].join('\n'),
      );
    });

  netboot
    .command('devices')
    .description('units seen on the deployment network (DHCP, TFTP, installer)')
    .action(async (_options: object, command: Command) => {
      const { api, output, json } = context(command);
      printRows(
        output,
        await api.get<NetbootDeviceDto[]>('/api/netboot/devices'),
        [
          ['mac', (d) => d.mac],
          ['ip', (d) => d.ip],
          ['serial', (d) => d.serial],
          ['phase', (d) => d.phase],
          ['files', (d) => d.filesServed],
          ['bytes', (d) => d.bytesServed],
          ['hostname', (d) => d.hostname],
          ['last seen', (d) => d.lastSeenAt],
        ],
        json,
      );
    });

  const unit = netboot.command('unit').description('units that boot another product or venue (their own TFTP folder)');
  unit
    .command('set')
    .description('give a unit its own product and/or venue, or (--capture) capture its card on its next netboot')
    .argument('<serial>', '8-16 hex digits')
    .addOption(
      new Option('--product <code>', 'product (with --capture: of the captured image)').choices(['KXP2', 'RXP2']),
    )
    .option('--venue <code>', 'venue code')
    .option('--capture', "its next netboot reads its card (never writing to it) and stores it as --product's --version")
    .option('--version <version>', 'with --capture: the new image version, e.g. 1.5.0')
    .action(
      async (
        serial: string,
        options: { product?: string; venue?: string; capture?: boolean; version?: string },
        command: Command,
      ) => {
        const { api, output } = context(command);
        const path = `/api/netboot/units/${encodeURIComponent(serial)}`;
        if (options.capture) {
          if (!options.product || !options.version) throw new CliError('--capture needs --product and --version');
          if (options.venue)
            throw new CliError('--capture takes no --venue: a captured card is a master, not a venue unit');
          const mark = await api.put<CaptureMarkDto>(`${path}/capture`, {
            product: options.product,
            version: options.version,
          });
          output.out(`Unit ${mark.serial} captures its card as ${mark.product} ${mark.version} on its next netboot`);
          return;
        }
        if (options.version) throw new CliError('--version goes with --capture');
        const saved = await api.put<{ serial: string }>(path, { product: options.product, venue: options.venue });
        output.out(`Unit ${saved.serial} boots from its own TFTP folder ${saved.serial}/`);
      },
    );
  unit
    .command('remove')
    .description('let a unit boot like the others again')
    .argument('<serial>')
    .action(async (serial: string, _options: object, command: Command) => {
      const { api, output } = context(command);
      await api.delete(`/api/netboot/units/${encodeURIComponent(serial)}`);
      output.out(`Unit ${serial} boots from the TFTP root again`);
    });

  return netboot;
}

function settingsFromOptions(options: RenderOptions): DnsmasqSettings {
  const missing = (['interface', 'serverIp', 'range', 'tftpRoot'] as const).filter((key) => !options[key]);
  if (missing.length > 0) {
    const flags = missing.map((key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    throw new CliError(`give ${flags.join(', ')} (or --settings to use the server's environment)`);
  }
  const [first = '', last = ''] = options.range!.split(',').map((part) => part.trim());
  return {
    interface: options.interface!,
    serverIp: options.serverIp!,
    dhcpRange: { first, last },
    netmask: options.netmask,
    leaseTime: options.leaseTime,
    tftpRoot: options.tftpRoot!,
    tftpMax: Number(options.tftpMax),
    hookPath: options.hook,
    logPath: options.log,
    leaseFile: options.leaseFile,
  };
}

function settingsFromEnvironment(env: Record<string, string | undefined>): DnsmasqSettings {
  try {
    return dnsmasqSettingsOf(loadConfig(env, { defaultHookPath: DEFAULT_HOOK }));
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

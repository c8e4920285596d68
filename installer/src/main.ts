import { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import type { HealthResponse } from '@rpi-deploy/contracts';
import { readMacAddress, readSerial } from './identity';
import { parseKernelCommandLine } from './kernel-cmdline';
import { DEFAULT_DEVICE, resolveSettings, SettingsError, type InstallerFlags } from './settings';

declare const INSTALLER_VERSION: string | undefined;

export function buildProgram(): Command {
  return new Command('pi-installer')
    .description(
      'Runs on a netbooted Raspberry Pi 5: gets its hostname and master image from the deployment ' +
        'server, writes and verifies the SD card, and reports every step. Defaults come from the kernel ' +
        'command line (deploy.server=, deploy.product=, deploy.venue=, deploy.device=) and the hardware.',
    )
    .version(typeof INSTALLER_VERSION === 'string' ? INSTALLER_VERSION : '0.1.0')
    .option('--server <url>', 'deployment server, e.g. http://192.168.151.1:5001')
    .option('--device <path>', `target block device (or a regular file in tests) (default: ${DEFAULT_DEVICE})`)
    .option('--product <code>', "KXP2 or RXP2 (default: the server's active batch)")
    .option('--venue <code>', "4-character venue code (default: the server's active batch)")
    .option('--serial <hex>', 'board serial (default: /proc/device-tree/serial-number)')
    .option('--mac <address>', 'Ethernet MAC (default: /sys/class/net/eth0/address)')
    .option('--no-reboot', 'do not reboot when finished')
    .option('--print-settings', 'print the resolved settings as JSON and exit');
}

export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.parse(argv);
  const flags = program.opts<InstallerFlags & { printSettings?: boolean }>();

  const cmdline = await readFile('/proc/cmdline', 'utf8').catch(() => '');
  let settings;
  try {
    settings = resolveSettings(flags, parseKernelCommandLine(cmdline), {
      serial: await readSerial(),
      mac: await readMacAddress(),
    });
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    for (const problem of error.problems) console.error(`pi-installer: ${problem}`);
    return 2;
  }
  if (flags.printSettings) {
    console.log(JSON.stringify(settings, null, 2));
    return 0;
  }

  const response = await fetch(`${settings.server}/health`).catch((error: Error) => error);
  if (response instanceof Error || !response.ok) {
    const reason = response instanceof Error ? response.message : `HTTP ${response.status}`;
    console.error(`pi-installer: deployment server ${settings.server} is not reachable (${reason})`);
    return 1;
  }
  const health = (await response.json()) as HealthResponse;
  console.log(`pi-installer: server ${settings.server} is up (version ${health.version})`);
  // The download/write/verify pipeline is added by the installer issue; until then say so plainly.
  console.error('pi-installer: writing images is not part of this build yet; nothing was written');
  return 3;
}

if (require.main === module) {
  run(process.argv).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`pi-installer: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}

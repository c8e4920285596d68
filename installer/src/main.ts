import { Command } from 'commander';
import { DEFAULT_PEER_LISTEN, SEED_SECONDS } from '@rpi-deploy/contracts';
import { readFile } from 'node:fs/promises';
import { captureCard } from './capture/capture-card';
import { readMacAddress, readSerial } from './identity';
import { failIfAbandoned } from './exit-guard';
import { EXIT, install } from './install';
import { parseKernelCommandLine } from './kernel-cmdline';
import {
  DEFAULT_DEVICE,
  DEFAULT_LEDS,
  DEFAULT_POWEROFF_COMMAND,
  resolveSettings,
  SettingsError,
  TIMING_DEFAULTS,
  type InstallerFlags,
} from './settings';

declare const INSTALLER_VERSION: string | undefined;

export function buildProgram(): Command {
  return new Command('pi-installer')
    .description(
      'Runs on a netbooted Raspberry Pi 5: gets its hostname and master image from the deployment server, ' +
        'streams the image onto the SD card (partition table last), verifies it from the card, personalises it ' +
        '(hostname, machine-id, SSH host keys, first-boot script) and reboots, reporting every step. Defaults come ' +
        'from the kernel command line (deploy.server=, deploy.product=, deploy.venue=, deploy.device=) and the hardware.',
    )
    .version(typeof INSTALLER_VERSION === 'string' ? INSTALLER_VERSION : '0.1.0')
    .option('--server <url>', 'deployment server, e.g. http://192.168.151.1:5001')
    .option(
      '--device <path>',
      `target block device, or an existing regular file standing for a card (default: ${DEFAULT_DEVICE})`,
    )
    .option('--product <code>', "KXP2 or RXP2 (default: the server's active batch)")
    .option('--venue <code>', "4-character venue code (default: the server's active batch)")
    .option('--serial <hex>', 'board serial (default: /proc/device-tree/serial-number)')
    .option('--mac <address>', 'Ethernet MAC (default: /sys/class/net/eth0/address)')
    .option('--no-reboot', 'do not reboot when finished')
    .option(
      '--config-wait <seconds>',
      `keep asking for a configuration this long while the server is down or answers 409/503 (default: ${TIMING_DEFAULTS.configWait})`,
    )
    .option(
      '--retry-delay <seconds>',
      `first delay of every retry; later ones double, up to 30 s (default: ${TIMING_DEFAULTS.retryDelay})`,
    )
    .option(
      '--stall-timeout <seconds>',
      `drop and resume a download that delivers nothing this long (default: ${TIMING_DEFAULTS.stallTimeout})`,
    )
    .option(
      '--download-retries <count>',
      `resumes in a row without progress before the download fails (default: ${TIMING_DEFAULTS.downloadRetries})`,
    )
    .option(
      '--leds <dir>',
      `LED class folder with ACT and PWR; their patterns show the unit's state (default: ${DEFAULT_LEDS})`,
    )
    .option(
      '--wait-for-operator <when>',
      'after which failures to stop, blink the failure code and wait for an operator (identify, retry, power off) ' +
        'instead of exiting: never, permanent (card, image) or always (default: never)',
    )
    .option(
      '--poweroff-command <command>',
      `what switches the unit off when an operator asks (default: ${DEFAULT_POWEROFF_COMMAND})`,
    )
    .option(
      '--peer-listen <host:port>',
      `serve the chunks this unit verified to its neighbours here; port 0 picks a free one (default: ${DEFAULT_PEER_LISTEN})`,
    )
    .option('--no-peers', 'fetch from the server only and serve nothing to neighbours')
    .option(
      '--seed-seconds <seconds>',
      `after success, keep serving chunks at most this long while other units of the image install (default: ${SEED_SECONDS.default}, at most ${SEED_SECONDS.max})`,
    )
    .option(
      '--capture',
      'capture mode (also deploy.mode=capture): read the card without writing to it and send its used blocks to the ' +
        'server as the new image version the unit is marked for; then power off (--no-reboot: exit)',
    )
    .option('--print-settings', 'print the resolved settings as JSON and exit')
    .addHelpText(
      'after',
      `
Exit codes:
  ${EXIT.success}  the card is written, verified and personalised (reported "success")
  ${EXIT.failed}  the install failed and was reported "failed" (no card, card too small, download failed,
     checksum mismatch at offset N, customisation failed, ...)
  ${EXIT.badParameters}  invalid parameters
  ${EXIT.noConfiguration}  no configuration from the server (unreachable, or 409/503 for longer than --config-wait);
     nothing was written
  ${EXIT.retryRequested}  it failed, waited (--wait-for-operator) and an operator asked to retry
  ${EXIT.poweredOff}  it failed, waited and an operator asked to power off (the power-off command ran)

Needs on PATH: debugfs (e2fsprogs), mcopy (mtools), xz or zstd for images
compressed that way, blockdev and blkdiscard (util-linux) for a block device, dd for a file target.`,
    );
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
    return EXIT.badParameters;
  }
  if (flags.printSettings) {
    console.log(JSON.stringify(settings, null, 2));
    return EXIT.success;
  }
  const log = (line: string) => console.log(`pi-installer: ${line}`);
  return settings.capture ? captureCard(settings, log) : install(settings, log);
}

if (require.main === module) {
  let settled = false;
  failIfAbandoned(() => settled, EXIT.failed);
  run(process.argv).then(
    (code) => {
      settled = true;
      process.exit(code);
    },
    (error: unknown) => {
      console.error(`pi-installer: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(EXIT.failed);
    },
  );
}

import { DEFAULT_PEER_LISTEN, isProductCode, SEED_SECONDS, type ProductCode } from '@rpi-deploy/contracts';
import { isValidMac, isValidSerial } from './identity';
import type { KernelParameters } from './kernel-cmdline';
import { WAIT_FOR_OPERATOR, type WaitForOperator } from './unit/failure-class';

/** Command-line flags, as commander hands them over. */
export interface InstallerFlags {
  server?: string;
  device?: string;
  product?: string;
  venue?: string;
  serial?: string;
  mac?: string;
  reboot?: boolean;
  /** Seconds, as typed on the command line. */
  configWait?: string;
  retryDelay?: string;
  stallTimeout?: string;
  downloadRetries?: string;
  leds?: string;
  waitForOperator?: string;
  poweroffCommand?: string;
  peerListen?: string;
  /** false with --no-peers. */
  peers?: boolean;
  seedSeconds?: string;
  /** --capture: capture mode. */
  capture?: boolean;
}

export interface DetectedIdentity {
  serial?: string;
  mac?: string;
}

/** Everything the installer runs with: flags win over the kernel command line and the hardware. */
export interface InstallerSettings {
  server: string;
  device: string;
  product?: ProductCode;
  venue?: string;
  serial: string;
  mac: string;
  reboot: boolean;
  /** How long to keep asking for a configuration (server down, 409/503). */
  configWaitMs: number;
  /** First retry delay of every retry loop; later ones double. */
  retryDelayMs: number;
  /** A download connection that delivers nothing for this long is dropped and resumed. */
  stallTimeoutMs: number;
  /** Resumes in a row without progress before the download gives up. */
  downloadRetries: number;
  /** LED class folder holding ACT and PWR. */
  leds: string;
  /** After which failures the installer stops and waits for an operator instead of exiting. */
  waitForOperator: WaitForOperator;
  /** Program and arguments that switch the unit off when an operator asks. */
  poweroffCommand: string[];
  /** Where to serve verified chunks to neighbours; undefined with --no-peers. */
  peerListen?: { host: string; port: number };
  /** How long a finished unit keeps serving while others of its image still install. */
  seedSeconds: number;
  /** Capture mode: read the card (never write to it) and send it to the server as a new image. */
  capture: boolean;
}

export const DEFAULT_DEVICE = '/dev/mmcblk0';
export const DEFAULT_LEDS = '/sys/class/leds';
export const DEFAULT_POWEROFF_COMMAND = 'poweroff -f';

/** Defaults of the timing flags, in the units the flags take (seconds, count). */
export const TIMING_DEFAULTS = { configWait: 600, retryDelay: 1, stallTimeout: 30, downloadRetries: 10 };

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'SettingsError';
  }
}

export function resolveSettings(
  flags: InstallerFlags,
  kernel: KernelParameters,
  detected: DetectedIdentity,
): InstallerSettings {
  const problems: string[] = [];
  const server = (flags.server ?? kernel.server)?.replace(/\/+$/, '');
  if (!server) problems.push('no server: pass --server URL or boot with deploy.server=URL');
  else if (!/^https?:\/\/[^/]+/.test(server)) problems.push(`server must be an http(s) URL, got "${server}"`);

  const product = (flags.product ?? kernel.product)?.toUpperCase();
  if (product !== undefined && !isProductCode(product)) problems.push(`unknown product "${product}" (KXP2 or RXP2)`);

  const venue = (flags.venue ?? kernel.venue)?.toUpperCase();
  if (venue !== undefined && !/^[A-Z0-9]{4}$/.test(venue))
    problems.push(`venue must be 4 letters or digits, got "${venue}"`);

  const serial = (flags.serial ?? detected.serial)?.toLowerCase();
  if (!serial) problems.push('no serial number: none in the device tree or /proc/cpuinfo; pass --serial');
  else if (!isValidSerial(serial)) problems.push(`serial must be 8-16 hex digits, got "${serial}"`);

  const mac = (flags.mac ?? detected.mac)?.toLowerCase();
  if (!mac) problems.push('no MAC address: /sys/class/net/eth0/address is missing; pass --mac');
  else if (!isValidMac(mac)) problems.push(`MAC must look like aa:bb:cc:dd:ee:ff, got "${mac}"`);

  const numberFlag = (name: keyof typeof TIMING_DEFAULTS, flag: string | undefined, minimum: number): number => {
    if (flag === undefined) return TIMING_DEFAULTS[name];
    const value = Number(flag);
    if (!Number.isFinite(value) || value < minimum)
      problems.push(`${optionName(name)} must be a number >= ${minimum}, got "${flag}"`);
    return value;
  };
  const configWait = numberFlag('configWait', flags.configWait, 0);
  const retryDelay = numberFlag('retryDelay', flags.retryDelay, 0.001);
  const stallTimeout = numberFlag('stallTimeout', flags.stallTimeout, 0.1);
  const downloadRetries = numberFlag('downloadRetries', flags.downloadRetries, 0);
  if (Number.isFinite(downloadRetries) && !Number.isInteger(downloadRetries))
    problems.push(`--download-retries must be a whole number, got "${flags.downloadRetries}"`);

  const waitForOperator = flags.waitForOperator ?? 'never';
  if (!(WAIT_FOR_OPERATOR as readonly string[]).includes(waitForOperator))
    problems.push(`--wait-for-operator must be one of ${WAIT_FOR_OPERATOR.join(', ')}, got "${waitForOperator}"`);
  const poweroffCommand = (flags.poweroffCommand ?? DEFAULT_POWEROFF_COMMAND).trim().split(/\s+/);
  if (poweroffCommand[0] === '') problems.push('--poweroff-command must name a program');

  const peerListen = parseListen(flags.peerListen ?? kernel.peerListen ?? DEFAULT_PEER_LISTEN);
  if (!peerListen)
    problems.push(`--peer-listen must be HOST:PORT (port 0-65535), got "${flags.peerListen ?? kernel.peerListen}"`);
  const seedFlag = flags.seedSeconds ?? kernel.seedSeconds;
  const seedSeconds = seedFlag === undefined ? SEED_SECONDS.default : Number(seedFlag);
  if (!Number.isFinite(seedSeconds) || seedSeconds < 0 || seedSeconds > SEED_SECONDS.max)
    problems.push(`--seed-seconds must be a number from 0 to ${SEED_SECONDS.max}, got "${seedFlag}"`);

  if (kernel.mode !== undefined && !['install', 'capture'].includes(kernel.mode))
    problems.push(`deploy.mode must be install or capture, got "${kernel.mode}"`);

  if (problems.length > 0) throw new SettingsError(problems);
  return {
    server: server!,
    device: flags.device ?? kernel.device ?? DEFAULT_DEVICE,
    product: product as ProductCode | undefined,
    venue,
    serial: serial!,
    mac: mac!,
    reboot: flags.reboot ?? true,
    configWaitMs: configWait * 1000,
    retryDelayMs: retryDelay * 1000,
    stallTimeoutMs: stallTimeout * 1000,
    downloadRetries,
    leds: flags.leds ?? DEFAULT_LEDS,
    waitForOperator: waitForOperator as WaitForOperator,
    poweroffCommand,
    peerListen: (flags.peers ?? kernel.peers ?? true) ? peerListen : undefined,
    seedSeconds,
    capture: flags.capture ?? kernel.mode === 'capture',
  };
}

/** `0.0.0.0:5003`, `[::]:0`: a host (IP or name) and a port, 0 for any free one. */
function parseListen(value: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) return undefined;
  return { host: match[1] ?? match[2], port };
}

/** configWait -> --config-wait */
function optionName(name: string): string {
  return `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

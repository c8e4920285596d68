import { isProductCode, type ProductCode } from '@rpi-deploy/contracts';
import { isValidMac, isValidSerial } from './identity';
import type { KernelParameters } from './kernel-cmdline';

/** Command-line flags, as commander hands them over. */
export interface InstallerFlags {
  server?: string;
  device?: string;
  product?: string;
  venue?: string;
  serial?: string;
  mac?: string;
  reboot?: boolean;
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
}

export const DEFAULT_DEVICE = '/dev/mmcblk0';

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

  if (problems.length > 0) throw new SettingsError(problems);
  return {
    server: server!,
    device: flags.device ?? kernel.device ?? DEFAULT_DEVICE,
    product: product as ProductCode | undefined,
    venue,
    serial: serial!,
    mac: mac!,
    reboot: flags.reboot ?? true,
  };
}

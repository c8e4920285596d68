/**
 * What dnsmasq would produce while a Pi 5 netboots, without a deployment network: its log lines
 * (log-facility format, docs/pi5-netboot.md §7) appended to the log file the server follows, and the
 * shipped dhcp-script hook called with dnsmasq's arguments. The server turns both into "units seen
 * netbooting" on the dashboard.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The files a Pi 5 fetches over TFTP on its way to the installer, with plausible sizes. */
const BOOT_FILES: Array<[string, number]> = [
  ['config.txt', 1_214],
  ['bcm2712-rpi-5-b.dtb', 78_091],
  ['overlays/overlay_map.dtb', 5_488],
  ['cmdline.txt', 212],
  ['kernel_2712.img', 9_614_336],
  ['initramfs.img', 31_457_280],
];
const INTERFACE = 'eth1';
/** What the Pi 5 bootloader sends as DHCP vendor class (the same as an x86 PXE ROM). */
const VENDOR_CLASS = 'PXEClient:Arch:00000:UNDI:002001';
const DNSMASQ_PID = 4242;

export interface NetbootSettings {
  /** dnsmasq's log file as the server follows it (DNSMASQ_LOG). */
  logFile: string;
  tftpRoot: string;
  /** infra/dnsmasq/rpi-deploy-dhcp-hook.sh, when this checkout has it. */
  hook?: string;
  hookUrl: string;
  hookSecretFile: string;
}

export class NetbootActivity {
  private transaction = 0x3a00;

  constructor(private readonly settings: NetbootSettings) {
    mkdirSync(dirname(settings.logFile), { recursive: true });
  }

  static hookIn(root: string): string | undefined {
    const hook = join(root, 'infra/dnsmasq/rpi-deploy-dhcp-hook.sh');
    return existsSync(hook) ? hook : undefined;
  }

  /** DHCP, the boot files over TFTP, and the initramfs's own DHCP: about four seconds. */
  async boot(unit: { serial: string; mac: string; ip: string }): Promise<void> {
    await this.dhcp(unit, 'add');
    // The bootloader first looks for a per-serial folder, then takes the common files.
    this.log('tftp', `file ${this.path(`${unit.serial.slice(-8)}/config.txt`)} not found for ${unit.ip}`);
    for (const [file, bytes] of BOOT_FILES) {
      await pause(file.endsWith('.img') ? 900 : 150);
      this.log('tftp', `sent ${this.path(file)} to ${unit.ip}`);
      this.hookCall(['tftp', String(bytes), unit.ip, this.path(file)]);
    }
    await pause(800);
    await this.dhcp(unit, 'old');
  }

  private async dhcp(unit: { mac: string; ip: string }, action: 'add' | 'old'): Promise<void> {
    const xid = this.transaction++;
    this.log('dhcp', `${xid} DHCPDISCOVER(${INTERFACE}) ${unit.mac}`);
    this.log('dhcp', `${xid} DHCPOFFER(${INTERFACE}) ${unit.ip} ${unit.mac}`);
    await pause(200);
    this.log('dhcp', `${xid} DHCPREQUEST(${INTERFACE}) ${unit.ip} ${unit.mac}`);
    this.log('dhcp', `${xid} DHCPACK(${INTERFACE}) ${unit.ip} ${unit.mac}`);
    // Only the bootloader's request carries the PXE vendor class and matches the Pi 5 tag.
    const env: Record<string, string> =
      action === 'add'
        ? { DNSMASQ_VENDOR_CLASS: VENDOR_CLASS, DNSMASQ_TAGS: `rpi ${INTERFACE}` }
        : { DNSMASQ_TAGS: INTERFACE };
    this.hookCall([action, unit.mac, unit.ip], env);
  }

  private path(file: string): string {
    return `${this.settings.tftpRoot}/${file}`;
  }

  private log(facility: 'dhcp' | 'tftp', text: string): void {
    // syslog-style time stamp ("Nov  6 01:20:03"), as dnsmasq writes to its log-facility file
    const [, month, day, , time] = new Date().toString().split(' ');
    const stamp = `${month} ${day.replace(/^0/, ' ')} ${time}`;
    appendFileSync(this.settings.logFile, `${stamp} dnsmasq-${facility}[${DNSMASQ_PID}]: ${text}\n`);
  }

  /** As dnsmasq runs its dhcp-script; the hook itself returns at once and posts in the background. */
  private hookCall(args: string[], env: Record<string, string> = {}): void {
    if (!this.settings.hook) return;
    const hookEnv = {
      ...process.env,
      ...env,
      DNSMASQ_INTERFACE: INTERFACE,
      RPI_DEPLOY_HOOK_URL: this.settings.hookUrl,
      RPI_DEPLOY_HOOK_SECRET_FILE: this.settings.hookSecretFile,
    };
    // Fire and forget, like dnsmasq: a hook that fails costs the dashboard an event, nothing more.
    execFile('sh', [this.settings.hook, ...args], { env: hookEnv }, () => undefined);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

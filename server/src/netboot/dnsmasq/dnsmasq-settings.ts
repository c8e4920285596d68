import { join } from 'node:path';
import type { AppConfig } from '../../config/app-config';
import type { DnsmasqSettings } from './dnsmasq-config';

/** The dnsmasq settings that follow from the server's configuration (NETBOOT_*, DATA_DIR...). */
export function dnsmasqSettingsOf(config: AppConfig): DnsmasqSettings {
  const netboot = config.netboot;
  return {
    interface: netboot.interface,
    serverIp: netboot.serverIp,
    dhcpRange: netboot.dhcpRange,
    netmask: netboot.netmask,
    leaseTime: netboot.leaseTime,
    tftpRoot: netboot.tftpRoot,
    tftpMax: netboot.tftpMax,
    hookPath: netboot.hookPath,
    logPath: netboot.dnsmasqLogPath,
    leaseFile: join(config.dataDir, 'netboot', 'dnsmasq.leases'),
  };
}

import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { DnsmasqLogFollower } from '../dnsmasq/dnsmasq-log-follower';
import { parseDnsmasqLogLine } from '../dnsmasq/dnsmasq-log-parser';
import { NetbootDevices } from './netboot-devices';

/** Feeds dnsmasq's log (DHCP exchanges, TFTP sent / not found / errors) into NetbootDevices. */
@Injectable()
export class DnsmasqEvents implements OnModuleInit, OnModuleDestroy {
  readonly follower: DnsmasqLogFollower;

  constructor(config: AppConfig, devices: NetbootDevices) {
    this.follower = new DnsmasqLogFollower(config.netboot.dnsmasqLogPath, (line) => {
      const entry = parseDnsmasqLogLine(line);
      if (entry) devices.recordLogEntry(entry);
    });
  }

  onModuleInit(): Promise<void> {
    return this.follower.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.follower.stop();
  }
}

import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeploymentsModule } from '../deployments/deployments.module';
import { ImagesModule } from '../images/images.module';
import { DnsmasqEvents } from './boot-events/dnsmasq-events';
import { HookSecret } from './boot-events/hook-secret';
import { NetbootDevices } from './boot-events/netboot-devices';
import { DnsmasqConfigService } from './dnsmasq/dnsmasq-config.service';
import { NetbootController } from './netboot.controller';
import { RuntimeBundleController } from './runtime-bundle.controller';
import { NetbootUnit } from './tftp/netboot-unit.entity';
import { TftpRootService } from './tftp/tftp-root.service';

/**
 * Netboot: dnsmasq configuration, the TFTP root, boot events, the runtime bundle.
 * Reads Images; imports Deployments only for DeploymentChanges, to see a unit's installer take
 * over (its netboot ends there). Deployments never imports Netboot, so there is no cycle.
 */
@Module({
  imports: [ImagesModule, DeploymentsModule, TypeOrmModule.forFeature([NetbootUnit])],
  controllers: [NetbootController, RuntimeBundleController],
  providers: [DnsmasqConfigService, TftpRootService, NetbootDevices, DnsmasqEvents, HookSecret],
  // Pre-flight checks ask about dnsmasq and the TFTP root.
  exports: [DnsmasqConfigService, TftpRootService],
})
export class NetbootModule {}

import { Module } from '@nestjs/common';
import { ImagesModule } from '../images/images.module';
import { NetbootModule } from '../netboot/netboot.module';
import { PreflightController } from './preflight.controller';
import { PreflightService } from './preflight.service';

/**
 * Pre-flight: is the whole server ready to deploy (network, dnsmasq, TFTP root, images, disk,
 * database, public URL, clock)? Asks Netboot about dnsmasq and the TFTP root; Netboot knows
 * nothing of it.
 */
@Module({
  imports: [NetbootModule, ImagesModule],
  controllers: [PreflightController],
  providers: [PreflightService],
})
export class PreflightModule {}

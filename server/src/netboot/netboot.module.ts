import { Module } from '@nestjs/common';
import { ImagesModule } from '../images/images.module';

/** Netboot: dnsmasq configuration, the TFTP root, boot events, the runtime bundle, pre-flight checks. */
@Module({
  imports: [ImagesModule],
  controllers: [],
  providers: [],
})
export class NetbootModule {}

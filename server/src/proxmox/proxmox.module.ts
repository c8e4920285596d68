import { Module } from '@nestjs/common';

/** Proxmox VE: provision and look after the deployment server's own VM. */
@Module({
  controllers: [],
  providers: [],
})
export class ProxmoxModule {}

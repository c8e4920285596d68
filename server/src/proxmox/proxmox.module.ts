import { Module } from '@nestjs/common';
import { ProxmoxController } from './proxmox.controller';
import { ProxmoxService } from './proxmox.service';

/** Proxmox VE: provision and look after the deployment server's own VM. */
@Module({
  controllers: [ProxmoxController],
  providers: [ProxmoxService],
})
export class ProxmoxModule {}

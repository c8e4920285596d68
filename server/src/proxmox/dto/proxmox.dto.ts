import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import {
  PROXMOX_SNAPSHOT_NAME_PATTERN,
  PROXMOX_VM_STATES,
  type CreateProxmoxSnapshotRequest,
  type ProxmoxNetworkAddress,
  type ProxmoxSnapshotDto,
  type ProxmoxVmState,
  type ProxmoxVmStatusDto,
} from '@rpi-deploy/contracts';
import { IsOmittable } from '../../validation/is-omittable';

export class CreateSnapshotBody implements CreateProxmoxSnapshotRequest {
  @ApiProperty({ example: 'before_upgrade', pattern: PROXMOX_SNAPSHOT_NAME_PATTERN.source })
  @IsString()
  @Matches(PROXMOX_SNAPSHOT_NAME_PATTERN, {
    message: 'name must be 2-40 letters, digits or "_", starting with a letter (Proxmox allows nothing else)',
  })
  name!: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class ProxmoxNetworkAddressResponse implements ProxmoxNetworkAddress {
  @ApiProperty({ example: 'eth0' }) interface!: string;
  @ApiProperty({ nullable: true, type: String, example: 'bc:24:11:00:00:01' }) mac!: string | null;
  @ApiProperty({ example: '10.1.0.10/24' }) address!: string;
  @ApiProperty({ enum: ['ipv4', 'ipv6'] }) family!: 'ipv4' | 'ipv6';
}

export class ProxmoxVmStatusResponse implements ProxmoxVmStatusDto {
  @ApiProperty({ example: 'pve' }) node!: string;
  @ApiProperty({ example: 100 }) vmid!: number;
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
  @ApiProperty({ enum: PROXMOX_VM_STATES }) state!: ProxmoxVmState;
  @ApiProperty() uptimeSeconds!: number;
  @ApiProperty({ nullable: true, type: Number }) cores!: number | null;
  @ApiProperty({ nullable: true, type: Number }) memoryMiB!: number | null;
  @ApiProperty({ type: [ProxmoxNetworkAddressResponse] }) addresses!: ProxmoxNetworkAddress[];
  @ApiProperty({ description: 'false until the QEMU guest agent answers' }) agentRunning!: boolean;
}

export class ProxmoxSnapshotResponse implements ProxmoxSnapshotDto {
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) createdAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) parent!: string | null;
  @ApiProperty() includesRam!: boolean;
}

export class RollbackStartedResponse {
  @ApiProperty({ description: 'Proxmox task id (UPID) of the rollback' }) task!: string;
}

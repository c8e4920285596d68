import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadGatewayResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { ProxmoxSnapshotDto, ProxmoxVmStatusDto } from '@rpi-deploy/contracts';
import { CurrentUser, type AuthenticatedUser } from '../auth/authenticated-user';
import { Audited, fromBody, fromParam } from '../audit/audited.decorator';
import { RequireRole } from '../auth/require-role.decorator';
import {
  CreateSnapshotBody,
  ProxmoxSnapshotResponse,
  ProxmoxVmStatusResponse,
  RollbackStartedResponse,
} from './dto/proxmox.dto';
import { ProxmoxService } from './proxmox.service';

/** The deployment server's own VM. Admin only: a rollback restarts the whole server. */
@ApiTags('proxmox')
@ApiBearerAuth()
@RequireRole('admin')
@ApiServiceUnavailableResponse({ description: 'Proxmox is not configured: the message names the PROXMOX_* to set' })
@ApiBadGatewayResponse({ description: 'Proxmox could not be reached or refused the call; the message says why' })
@Controller('api/proxmox')
export class ProxmoxController {
  constructor(private readonly proxmox: ProxmoxService) {}

  @Get('status')
  @ApiOkResponse({ type: ProxmoxVmStatusResponse })
  status(): Promise<ProxmoxVmStatusDto> {
    return this.proxmox.status();
  }

  @Get('snapshots')
  @ApiOkResponse({ type: [ProxmoxSnapshotResponse], description: 'Newest first' })
  snapshots(): Promise<ProxmoxSnapshotDto[]> {
    return this.proxmox.snapshots();
  }

  @Post('snapshots')
  @Audited('proxmox.snapshot_create', { targetType: 'snapshot', targetId: fromBody('name'), afterFromBody: true })
  @ApiCreatedResponse({ type: [ProxmoxSnapshotResponse], description: 'The snapshots, the new one included' })
  createSnapshot(
    @Body() body: CreateSnapshotBody,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<ProxmoxSnapshotDto[]> {
    return this.proxmox.createSnapshot(body.name, body.description, user.username);
  }

  @Post('snapshots/:name/rollback')
  @Audited('proxmox.snapshot_rollback', { targetType: 'snapshot', targetId: fromParam('name') })
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: RollbackStartedResponse,
    description: 'Rollback started; this server stops with its VM and comes back as it was at the snapshot',
  })
  @ApiNotFoundResponse({ description: 'No snapshot of that name' })
  rollback(@Param('name') name: string, @CurrentUser() user: AuthenticatedUser): Promise<{ task: string }> {
    return this.proxmox.rollback(name, user.username);
  }
}

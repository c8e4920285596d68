import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { UnitCommandDto } from '@rpi-deploy/contracts';
import { Audited, fromParam } from '../../audit/audited.decorator';
import { AuthenticatedUser, CurrentUser } from '../../auth/authenticated-user';
import { RequireRole } from '../../auth/require-role.decorator';
import { UnitCommandBody } from './unit-command.dto';
import { UnitCommandsService } from './unit-commands.service';

/** Operators' commands for a failed unit that waits: identify, retry, power off (management listener). */
@ApiTags('deployments')
@ApiBearerAuth()
@Controller('api/deployments/:id/commands')
export class UnitCommandsController {
  constructor(private readonly commands: UnitCommandsService) {}

  @Get()
  @ApiOkResponse({ description: 'The commands sent to this deployment’s unit, newest first, with their state' })
  list(@Param('id', new ParseUUIDPipe({ version: '4' })) id: string): Promise<UnitCommandDto[]> {
    return this.commands.list(id);
  }

  @Post()
  @RequireRole('operator')
  @Audited('deployment.command', { targetType: 'deployment', targetId: fromParam('id') })
  @HttpCode(201)
  @ApiOkResponse({ description: 'The command, queued: the unit receives it with its next poll' })
  @ApiNotFoundResponse({ description: 'Unknown deployment' })
  @ApiConflictResponse({ description: 'The unit is not waiting for an operator' })
  queue(
    @Param('id', new ParseUUIDPipe({ version: '4' })) id: string,
    @Body() body: UnitCommandBody,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<UnitCommandDto> {
    return this.commands.queue(id, body.command, user.username);
  }
}

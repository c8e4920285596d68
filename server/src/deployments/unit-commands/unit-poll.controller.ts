import { Body, Controller, Headers, HttpCode, Post, UnauthorizedException } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { UnitPollAnswer } from '@rpi-deploy/contracts';
import { bearerToken } from '../../auth/auth.guard';
import { DeploymentRoute } from '../../listeners/deployment-route.decorator';
import { UnitPollBody } from './unit-command.dto';
import { UnitCommandsService } from './unit-commands.service';

/** A failed unit waiting for an operator asks for its commands here (deployment listener). */
@ApiTags('deployment')
@DeploymentRoute()
@Controller('api/commands')
export class UnitPollController {
  constructor(private readonly commands: UnitCommandsService) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ description: '{ "commands": [{ "id", "command" }] }: what an operator queued since the last poll' })
  @ApiForbiddenResponse({ description: 'The token belongs to another deployment' })
  @ApiNotFoundResponse({ description: 'Unknown deployment' })
  @ApiConflictResponse({ description: 'The deployment has not failed' })
  poll(
    @Body() body: UnitPollBody,
    @Headers('authorization') authorization: string | undefined,
  ): Promise<UnitPollAnswer> {
    const token = bearerToken(authorization);
    if (!token)
      throw new UnauthorizedException('Send the statusToken from /api/config as Authorization: Bearer <token>');
    return this.commands.poll(body.deploymentId, token, body.done ?? []);
  }
}

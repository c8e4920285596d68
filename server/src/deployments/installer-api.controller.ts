import { Body, Controller, Headers, HttpCode, Ip, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { ConfigResponse, StatusAck } from '@rpi-deploy/contracts';
import { bearerToken } from '../auth/auth.guard';
import { DeploymentRoute } from '../listeners/deployment-route.decorator';
import { DeploymentLifecycleService } from './deployment-lifecycle.service';
import { ConfigBody, StatusBody } from './dto/installer.dto';

/** What the installer on each Pi calls, on the deployment listener (no user login). */
@ApiTags('deployment')
@DeploymentRoute()
@Controller('api')
export class InstallerApiController {
  constructor(private readonly lifecycle: DeploymentLifecycleService) {}

  @Post('config')
  @HttpCode(200)
  @ApiOkResponse({ description: 'deploymentId, statusToken, hostname and the image to write' })
  @ApiNotFoundResponse({ description: 'Unknown venue' })
  @ApiConflictResponse({ description: 'No free kart number, or no active batch' })
  @ApiServiceUnavailableResponse({ description: 'No active image for the product' })
  config(@Body() body: ConfigBody, @Ip() ip: string): Promise<ConfigResponse> {
    return this.lifecycle.configure(body, ip ?? null);
  }

  @Post('status')
  @HttpCode(200)
  @ApiOkResponse({ description: '{ "received": true }' })
  @ApiForbiddenResponse({ description: 'The token belongs to another deployment' })
  @ApiNotFoundResponse({ description: 'Unknown deployment' })
  @ApiConflictResponse({ description: 'Illegal transition, or the deployment has ended' })
  async status(
    @Body() body: StatusBody,
    @Headers('authorization') authorization: string | undefined,
    @Ip() ip: string,
  ): Promise<StatusAck> {
    await this.lifecycle.report(body, bearerToken(authorization), ip ?? null);
    return { received: true };
  }
}

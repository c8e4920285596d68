import { Controller, Get, Req } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { HealthResponse } from '@rpi-deploy/contracts';
import { Public } from '../auth/public.decorator';
import { DeploymentRoute } from '../listeners/deployment-route.decorator';
import { listenerOf } from '../listeners/request-listener';
import { SERVER_VERSION } from '../version';

function health(request: Request): HealthResponse {
  return {
    status: 'ok',
    listener: listenerOf(request),
    version: SERVER_VERSION,
    uptimeSeconds: Math.round(process.uptime()),
  };
}

/** `GET /health` on the deployment listener: the installer's and load balancers' probe. */
@ApiTags('deployment')
@DeploymentRoute()
@Controller('health')
export class DeploymentHealthController {
  @Get()
  @ApiOkResponse({ description: 'The deployment listener is up' })
  get(@Req() request: Request): HealthResponse {
    return health(request);
  }
}

/** `GET /api/health` on the management listener, for monitoring; needs no login. */
@ApiTags('health')
@Public()
@Controller('api/health')
export class ManagementHealthController {
  @Get()
  @ApiOkResponse({ description: 'The management listener is up' })
  get(@Req() request: Request): HealthResponse {
    return health(request);
  }
}

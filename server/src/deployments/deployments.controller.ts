import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { DeploymentDetailDto, DeploymentPage } from '@rpi-deploy/contracts';
import { DeploymentsService } from './deployments.service';
import { DeploymentQuery } from './dto/deployment-query.dto';

@ApiTags('deployments')
@ApiBearerAuth()
@Controller('api/deployments')
export class DeploymentsController {
  constructor(private readonly deployments: DeploymentsService) {}

  @Get()
  @ApiOkResponse({ description: 'Newest first, filtered and paged' })
  list(@Query() query: DeploymentQuery): Promise<DeploymentPage> {
    return this.deployments.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ description: 'The deployment with its event timeline' })
  get(@Param('id', new ParseUUIDPipe({ version: '4' })) id: string): Promise<DeploymentDetailDto> {
    return this.deployments.get(id);
  }
}

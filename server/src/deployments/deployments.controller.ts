import { Controller, Get, Header, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { DeploymentDetailDto, DeploymentPage, DeploymentStats } from '@rpi-deploy/contracts';
import { deploymentsCsv } from './deployments-csv';
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

  @Get('stats')
  @ApiOkResponse({ description: 'Counts today / 7 / 30 days, success rate, medians, per venue and product' })
  stats(): Promise<DeploymentStats> {
    return this.deployments.stats();
  }

  @Get('export.csv')
  @ApiProduces('text/csv')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @Header('Content-Disposition', 'attachment; filename="deployments.csv"')
  @ApiOkResponse({ description: 'The filtered history as CSV (same filters as the list, no paging)' })
  async exportCsv(@Query() query: DeploymentQuery): Promise<string> {
    return deploymentsCsv(await this.deployments.exportRows(query));
  }

  @Get(':id')
  @ApiOkResponse({ description: 'The deployment with its event timeline' })
  get(@Param('id', new ParseUUIDPipe({ version: '4' })) id: string): Promise<DeploymentDetailDto> {
    return this.deployments.get(id);
  }
}

import { Controller, Get, Header, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type {
  DeploymentDetailDto,
  DeploymentEventPage,
  DeploymentPage,
  DeploymentStats,
  TrafficSample,
} from '@rpi-deploy/contracts';
import { DeploymentHistoryService } from './deployment-history.service';
import { deploymentsCsv } from './deployments-csv';
import { DeploymentEventQueryParams } from './dto/deployment-event-query.dto';
import { DeploymentQueryParams } from './dto/deployment-query.dto';
import { TrafficSamples } from './traffic-samples';

@ApiTags('deployments')
@ApiBearerAuth()
@Controller('api/deployments')
export class DeploymentsController {
  constructor(
    private readonly history: DeploymentHistoryService,
    private readonly traffic: TrafficSamples,
  ) {}

  @Get()
  @ApiOkResponse({ description: 'Newest first, filtered and paged' })
  list(@Query() query: DeploymentQueryParams): Promise<DeploymentPage> {
    return this.history.list(query);
  }

  @Get('stats')
  @ApiOkResponse({ description: 'Counts today / 7 / 30 days, success rate, medians, per venue and product' })
  stats(): Promise<DeploymentStats> {
    return this.history.stats();
  }

  @Get('traffic')
  @ApiOkResponse({
    description:
      "The fleet's bytes from the server and from peers over the last 30 minutes, per interval, oldest first",
  })
  trafficHistory(): TrafficSample[] {
    return this.traffic.history();
  }

  @Get('export.csv')
  @ApiProduces('text/csv')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @Header('Content-Disposition', 'attachment; filename="deployments.csv"')
  @ApiOkResponse({ description: 'The filtered history as CSV (same filters as the list, no paging)' })
  async exportCsv(@Query() query: DeploymentQueryParams): Promise<string> {
    return deploymentsCsv(await this.history.exportRows(query));
  }

  @Get(':id')
  @ApiOkResponse({ description: 'The deployment with its latest events and how many there are in all' })
  get(@Param('id', new ParseUUIDPipe({ version: '4' })) id: string): Promise<DeploymentDetailDto> {
    return this.history.get(id);
  }

  @Get(':id/events')
  @ApiOkResponse({ description: 'A page of the timeline, oldest first: the `limit` events before `before`' })
  events(
    @Param('id', new ParseUUIDPipe({ version: '4' })) id: string,
    @Query() query: DeploymentEventQueryParams,
  ): Promise<DeploymentEventPage> {
    return this.history.events(id, query);
  }
}

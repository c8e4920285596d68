import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator';
import { MetricsAccessGuard } from './metrics-access.guard';
import { MetricsService } from './metrics.service';

/** `GET /metrics` on the management listener: the Prometheus scrape target. */
@ApiTags('monitoring')
@ApiBearerAuth()
// Not a user login alone: MetricsAccessGuard also takes METRICS_TOKEN.
@Public()
@UseGuards(MetricsAccessGuard)
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @ApiOkResponse({ description: 'Prometheus text format' })
  @ApiUnauthorizedResponse({ description: 'No token, or neither METRICS_TOKEN nor a valid access token' })
  @ApiForbiddenResponse({ description: 'Logged in without the admin role' })
  async scrape(@Res() response: Response): Promise<void> {
    const text = await this.metrics.scrape();
    response.setHeader('Content-Type', this.metrics.contentType);
    response.setHeader('Cache-Control', 'no-store');
    response.send(text);
  }
}

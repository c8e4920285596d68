import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { DEPLOYMENT_EVENT_PAGING, type DeploymentEventQuery } from '@rpi-deploy/contracts';
import { IsOmittable } from '../../validation/is-omittable';

/** The query string of GET /api/deployments/:id/events, checked: a bounded page, never the whole timeline. */
export class DeploymentEventQueryParams implements DeploymentEventQuery {
  @ApiPropertyOptional({ description: 'an event id: only older events (default: from the latest)', minimum: 1 })
  @IsOmittable()
  @Type(() => Number)
  @IsInt({ message: 'before must be an event id (a whole number)' })
  @Min(1, { message: 'before must be an event id (1 or more)' })
  @Max(Number.MAX_SAFE_INTEGER)
  before?: number;

  @ApiPropertyOptional({
    default: DEPLOYMENT_EVENT_PAGING.page,
    minimum: 1,
    maximum: DEPLOYMENT_EVENT_PAGING.max,
  })
  @IsOmittable()
  @Type(() => Number)
  @IsInt({ message: `limit must be a whole number 1-${DEPLOYMENT_EVENT_PAGING.max}` })
  @Min(1, { message: `limit must be a whole number 1-${DEPLOYMENT_EVENT_PAGING.max}` })
  @Max(DEPLOYMENT_EVENT_PAGING.max, { message: `limit must be a whole number 1-${DEPLOYMENT_EVENT_PAGING.max}` })
  limit?: number;
}

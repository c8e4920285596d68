import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, Max, Min } from 'class-validator';
import {
  DEPLOYMENT_SORT_KEYS,
  DEPLOYMENT_STATUSES,
  PRODUCT_CODES,
  SORT_ORDERS,
  type DeploymentQuery,
  type DeploymentSortKey,
  type DeploymentStatus,
  type ProductCode,
  type SortOrder,
} from '@rpi-deploy/contracts';
import { IsProductCode, IsVenueCode } from '../../validation/domain-validators';
import { IsOmittable } from '../../validation/is-omittable';

/** Far beyond any real history (500 a page), small enough that the row offset stays an integer. */
const PAGE_MAX = 1_000_000;

/** The query string of GET /api/deployments and its CSV export, checked. */
export class DeploymentQueryParams implements DeploymentQuery {
  @ApiPropertyOptional({ enum: DEPLOYMENT_STATUSES })
  @IsOmittable()
  @IsIn(DEPLOYMENT_STATUSES, { message: `status must be one of ${DEPLOYMENT_STATUSES.join(', ')}` })
  status?: DeploymentStatus;

  @ApiPropertyOptional({ example: 'CORO' })
  @IsOmittable()
  @IsVenueCode()
  venue?: string;

  @ApiPropertyOptional({ enum: PRODUCT_CODES })
  @IsOmittable()
  @IsProductCode()
  product?: ProductCode;

  @ApiPropertyOptional({ description: 'started at or after (ISO 8601)' })
  @IsOmittable()
  @IsISO8601({}, { message: 'from must be an ISO 8601 date or time' })
  from?: string;

  @ApiPropertyOptional({ description: 'started before (ISO 8601)' })
  @IsOmittable()
  @IsISO8601({}, { message: 'to must be an ISO 8601 date or time' })
  to?: string;

  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: PAGE_MAX })
  @IsOmittable()
  @Type(() => Number)
  @IsInt({ message: `page must be a whole number from 1 to ${PAGE_MAX}` })
  @Min(1, { message: `page must be a whole number from 1 to ${PAGE_MAX}` })
  @Max(PAGE_MAX, { message: `page must be a whole number from 1 to ${PAGE_MAX}` })
  page?: number;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOmittable()
  @Type(() => Number)
  @IsInt({ message: 'pageSize must be a whole number from 1 to 500' })
  @Min(1, { message: 'pageSize must be a whole number from 1 to 500' })
  @Max(500, { message: 'pageSize must be a whole number from 1 to 500' })
  pageSize?: number;

  @ApiPropertyOptional({ enum: DEPLOYMENT_SORT_KEYS, default: 'startedAt' })
  @IsOmittable()
  @IsIn(DEPLOYMENT_SORT_KEYS, { message: `sort must be one of ${DEPLOYMENT_SORT_KEYS.join(', ')}` })
  sort?: DeploymentSortKey;

  @ApiPropertyOptional({ enum: SORT_ORDERS, description: 'default: desc for startedAt, else asc' })
  @IsOmittable()
  @IsIn(SORT_ORDERS, { message: 'order must be asc or desc' })
  order?: SortOrder;
}

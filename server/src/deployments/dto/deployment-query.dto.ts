import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, Max, Min } from 'class-validator';
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

/** The query string of GET /api/deployments and its CSV export, checked. */
export class DeploymentQueryParams implements DeploymentQuery {
  @ApiPropertyOptional({ enum: DEPLOYMENT_STATUSES })
  @IsOptional()
  @IsIn(DEPLOYMENT_STATUSES, { message: `status must be one of ${DEPLOYMENT_STATUSES.join(', ')}` })
  status?: DeploymentStatus;

  @ApiPropertyOptional({ example: 'CORO' })
  @IsOptional()
  @IsVenueCode()
  venue?: string;

  @ApiPropertyOptional({ enum: PRODUCT_CODES })
  @IsOptional()
  @IsProductCode()
  product?: ProductCode;

  @ApiPropertyOptional({ description: 'started at or after (ISO 8601)' })
  @IsOptional()
  @IsISO8601({}, { message: 'from must be an ISO 8601 date or time' })
  from?: string;

  @ApiPropertyOptional({ description: 'started before (ISO 8601)' })
  @IsOptional()
  @IsISO8601({}, { message: 'to must be an ISO 8601 date or time' })
  to?: string;

  @ApiPropertyOptional({ default: 1, minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'page must be a whole number' })
  @Min(1)
  page?: number;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'pageSize must be a whole number' })
  @Min(1)
  @Max(500)
  pageSize?: number;

  @ApiPropertyOptional({ enum: DEPLOYMENT_SORT_KEYS, default: 'startedAt' })
  @IsOptional()
  @IsIn(DEPLOYMENT_SORT_KEYS, { message: `sort must be one of ${DEPLOYMENT_SORT_KEYS.join(', ')}` })
  sort?: DeploymentSortKey;

  @ApiPropertyOptional({ enum: SORT_ORDERS, description: 'default: desc for startedAt, else asc' })
  @IsOptional()
  @IsIn(SORT_ORDERS, { message: 'order must be asc or desc' })
  order?: SortOrder;
}

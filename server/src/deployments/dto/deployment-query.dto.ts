import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601 } from 'class-validator';
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
import { PageQueryParams } from '../../validation/page-query.dto';

/** The query string of GET /api/deployments and its CSV export, checked. */
export class DeploymentQueryParams extends PageQueryParams implements DeploymentQuery {
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

  @ApiPropertyOptional({ enum: DEPLOYMENT_SORT_KEYS, default: 'startedAt' })
  @IsOmittable()
  @IsIn(DEPLOYMENT_SORT_KEYS, { message: `sort must be one of ${DEPLOYMENT_SORT_KEYS.join(', ')}` })
  sort?: DeploymentSortKey;

  @ApiPropertyOptional({ enum: SORT_ORDERS, description: 'default: desc for startedAt, else asc' })
  @IsOmittable()
  @IsIn(SORT_ORDERS, { message: 'order must be asc or desc' })
  order?: SortOrder;
}

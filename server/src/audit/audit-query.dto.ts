import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsString, Max, MaxLength, Min } from 'class-validator';
import {
  AUDIT_ACTIONS,
  AUDIT_TARGET_TYPES,
  type AuditAction,
  type AuditQuery,
  type AuditTargetType,
} from '@rpi-deploy/contracts';
import { IsOmittable } from '../validation/is-omittable';

/** Pages beyond this would skip more rows than any log holds; refused rather than sent to the database. */
const PAGE_MAX = 1_000_000;

/** The query string of GET /api/audit and its CSV export, checked. */
export class AuditQueryParams implements AuditQuery {
  @ApiPropertyOptional({ description: 'exact user name' })
  @IsOmittable()
  @IsString()
  @MaxLength(64)
  actor?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOmittable()
  @IsIn(AUDIT_ACTIONS, { message: `action must be one of ${AUDIT_ACTIONS.join(', ')}` })
  action?: AuditAction;

  @ApiPropertyOptional({ enum: AUDIT_TARGET_TYPES })
  @IsOmittable()
  @IsIn(AUDIT_TARGET_TYPES, { message: `targetType must be one of ${AUDIT_TARGET_TYPES.join(', ')}` })
  targetType?: AuditTargetType;

  @ApiPropertyOptional({ description: 'part of the target id, any case' })
  @IsOmittable()
  @IsString()
  @MaxLength(128)
  target?: string;

  @ApiPropertyOptional({ description: 'at or after (ISO 8601)' })
  @IsOmittable()
  @IsISO8601({}, { message: 'from must be an ISO 8601 date or time' })
  from?: string;

  @ApiPropertyOptional({ description: 'before (ISO 8601)' })
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
}

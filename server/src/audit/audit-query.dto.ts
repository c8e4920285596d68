import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import {
  AUDIT_ACTIONS,
  AUDIT_TARGET_TYPES,
  type AuditAction,
  type AuditQuery,
  type AuditTargetType,
} from '@rpi-deploy/contracts';

/** The query string of GET /api/audit and its CSV export, checked. */
export class AuditQueryParams implements AuditQuery {
  @ApiPropertyOptional({ description: 'exact user name' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  actor?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS, { message: `action must be one of ${AUDIT_ACTIONS.join(', ')}` })
  action?: AuditAction;

  @ApiPropertyOptional({ enum: AUDIT_TARGET_TYPES })
  @IsOptional()
  @IsIn(AUDIT_TARGET_TYPES, { message: `targetType must be one of ${AUDIT_TARGET_TYPES.join(', ')}` })
  targetType?: AuditTargetType;

  @ApiPropertyOptional({ description: 'part of the target id, any case' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  target?: string;

  @ApiPropertyOptional({ description: 'at or after (ISO 8601)' })
  @IsOptional()
  @IsISO8601({}, { message: 'from must be an ISO 8601 date or time' })
  from?: string;

  @ApiPropertyOptional({ description: 'before (ISO 8601)' })
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
}

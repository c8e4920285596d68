import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsString, MaxLength } from 'class-validator';
import {
  AUDIT_ACTIONS,
  AUDIT_TARGET_TYPES,
  type AuditAction,
  type AuditQuery,
  type AuditTargetType,
} from '@rpi-deploy/contracts';
import { IsOmittable } from '../validation/is-omittable';
import { PageQueryParams } from '../validation/page-query.dto';

/** The query string of GET /api/audit and its CSV export, checked. */
export class AuditQueryParams extends PageQueryParams implements AuditQuery {
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
}

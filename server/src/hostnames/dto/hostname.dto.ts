import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import {
  HOSTNAME_STATUSES,
  PRODUCT_CODES,
  type AssignHostnameRequest,
  type AssignHostnameResult,
  type HostnameDto,
  type HostnameQuery,
  type HostnameStatus,
  type ProductCode,
} from '@rpi-deploy/contracts';
import { IsMacAddress, IsProductCode, IsSerial, IsVenueCode } from '../../validation/domain-validators';
import { IsOmittable } from '../../validation/is-omittable';

export class HostnameQueryParams implements HostnameQuery {
  @ApiPropertyOptional({ example: 'CORO' })
  @IsOmittable()
  @IsVenueCode()
  venue?: string;

  @ApiPropertyOptional({ enum: PRODUCT_CODES })
  @IsOmittable()
  @IsProductCode()
  product?: ProductCode;

  @ApiPropertyOptional({ enum: HOSTNAME_STATUSES })
  @IsOmittable()
  @IsIn(HOSTNAME_STATUSES, { message: `status must be one of ${HOSTNAME_STATUSES.join(', ')}` })
  status?: HostnameStatus;
}

export class AssignHostnameBody implements AssignHostnameRequest {
  @ApiProperty({ example: '10000000abc12345', description: '8-16 hex digits' })
  @IsSerial()
  serial!: string;

  @ApiProperty({ example: 'd8:3a:dd:12:34:56' })
  @IsMacAddress()
  mac!: string;

  @ApiPropertyOptional({ enum: PRODUCT_CODES, description: 'default: the active batch' })
  @IsOmittable()
  @IsProductCode()
  product?: ProductCode;

  @ApiPropertyOptional({ example: 'CORO', description: 'default: the active batch' })
  @IsOmittable()
  @IsVenueCode()
  venue?: string;
}

export class HostnameResponse implements HostnameDto {
  @ApiProperty({ example: 'KXP2-CORO-007' }) hostname!: string;
  @ApiProperty({ enum: PRODUCT_CODES }) product!: ProductCode;
  @ApiProperty({ example: 'CORO' }) venue!: string;
  @ApiProperty({ example: '007' }) identifier!: string;
  @ApiProperty({ enum: HOSTNAME_STATUSES }) status!: HostnameStatus;
  @ApiProperty({ nullable: true, type: String }) deviceSerial!: string | null;
  @ApiProperty({ nullable: true, type: String }) deviceMac!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) assignedAt!: string | null;
}

export class AssignHostnameResponse extends HostnameResponse implements AssignHostnameResult {
  @ApiProperty({ description: 'the device already held this hostname' }) reused!: boolean;
  @ApiProperty({ nullable: true, type: Number }) batchId!: number | null;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import {
  HOSTNAME_STATUSES,
  MAC_PATTERN,
  PRODUCT_CODES,
  SERIAL_PATTERN,
  VENUE_CODE_PATTERN,
  type AssignHostnameRequest,
  type AssignHostnameResult,
  type HostnameDto,
  type HostnameStatus,
  type ProductCode,
} from '@rpi-deploy/contracts';

const upperCase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value);

export class HostnameQuery {
  @ApiPropertyOptional({ example: 'CORO' })
  @IsOptional()
  @Matches(VENUE_CODE_PATTERN, { message: 'venue must be exactly 4 letters or digits' })
  venue?: string;

  @ApiPropertyOptional({ enum: PRODUCT_CODES })
  @IsOptional()
  @Transform(upperCase)
  @IsIn(PRODUCT_CODES, { message: `product must be one of ${PRODUCT_CODES.join(', ')}` })
  product?: ProductCode;

  @ApiPropertyOptional({ enum: HOSTNAME_STATUSES })
  @IsOptional()
  @IsIn(HOSTNAME_STATUSES, { message: `status must be one of ${HOSTNAME_STATUSES.join(', ')}` })
  status?: HostnameStatus;
}

export class AssignHostnameBody implements AssignHostnameRequest {
  @ApiProperty({ example: '10000000abc12345', description: '8-16 hex digits' })
  @IsString()
  @Matches(SERIAL_PATTERN, { message: 'serial must be 8-16 hex digits' })
  serial!: string;

  @ApiProperty({ example: 'd8:3a:dd:12:34:56' })
  @IsString()
  @Matches(MAC_PATTERN, { message: 'mac must look like aa:bb:cc:dd:ee:ff' })
  mac!: string;

  @ApiPropertyOptional({ enum: PRODUCT_CODES, description: 'default: the active batch' })
  @IsOptional()
  @Transform(upperCase)
  @IsIn(PRODUCT_CODES, { message: `product must be one of ${PRODUCT_CODES.join(', ')}` })
  product?: ProductCode;

  @ApiPropertyOptional({ example: 'CORO', description: 'default: the active batch' })
  @IsOptional()
  @IsString()
  @Matches(VENUE_CODE_PATTERN, { message: 'venue must be exactly 4 letters or digits' })
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

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  DEPLOYMENT_STATUSES,
  MAC_PATTERN,
  PRODUCT_CODES,
  SERIAL_PATTERN,
  STATUS_TEXT_LIMITS,
  VENUE_CODE_PATTERN,
  type ConfigRequest,
  type DeploymentStatus,
  type ProductCode,
  type StageThroughput,
  type StatusReport,
} from '@rpi-deploy/contracts';

const upperCase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value);
const MAX_BYTES = Number.MAX_SAFE_INTEGER;

export class ConfigBody implements ConfigRequest {
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

  @ApiPropertyOptional({ example: 'Raspberry Pi 5 Model B Rev 1.0' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  model?: string;

  @ApiPropertyOptional({ description: 'size of the target card in bytes' })
  @IsOptional()
  @IsInt({ message: 'storageBytes must be a whole number of bytes' })
  @Min(0)
  @Max(MAX_BYTES)
  storageBytes?: number;
}

class ThroughputBody implements StageThroughput {
  @ApiPropertyOptional({ description: 'bytes/s' }) @IsOptional() @IsNumber() @Min(0) @Max(MAX_BYTES) download?: number;
  @ApiPropertyOptional({ description: 'bytes/s' }) @IsOptional() @IsNumber() @Min(0) @Max(MAX_BYTES) write?: number;
  @ApiPropertyOptional({ description: 'bytes/s' }) @IsOptional() @IsNumber() @Min(0) @Max(MAX_BYTES) verify?: number;
}

export class StatusBody implements StatusReport {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('4', { message: 'deploymentId must be the id /api/config returned' })
  deploymentId!: string;

  @ApiProperty({ enum: DEPLOYMENT_STATUSES })
  @IsIn(DEPLOYMENT_STATUSES, { message: `status must be one of ${DEPLOYMENT_STATUSES.join(', ')}` })
  status!: DeploymentStatus;

  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @IsOptional()
  @IsNumber({}, { message: 'progress must be a number 0-100' })
  @Min(0)
  @Max(100)
  progress?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt({ message: 'bytesDone must be a whole number' })
  @Min(0)
  @Max(MAX_BYTES)
  bytesDone?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt({ message: 'bytesTotal must be a whole number' })
  @Min(0)
  @Max(MAX_BYTES)
  bytesTotal?: number;

  @ApiPropertyOptional({ type: ThroughputBody })
  @IsOptional()
  @ValidateNested()
  @Type(() => ThroughputBody)
  throughput?: ThroughputBody;

  @ApiPropertyOptional({ maxLength: STATUS_TEXT_LIMITS.message })
  @IsOptional()
  @IsString()
  @MaxLength(STATUS_TEXT_LIMITS.message)
  message?: string;

  @ApiPropertyOptional({ maxLength: STATUS_TEXT_LIMITS.error })
  @IsOptional()
  @IsString()
  @MaxLength(STATUS_TEXT_LIMITS.error)
  error?: string;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import {
  BATCH_COUNT_MAX,
  BATCH_PRIORITY_MAX,
  BATCH_PRIORITY_MIN,
  BATCH_STATUSES,
  PRODUCT_CODES,
  type BatchDto,
  type BatchStatus,
  type CreateBatchRequest,
  type ProductCode,
} from '@rpi-deploy/contracts';
import { IsProductCode, IsVenueCode } from '../../../validation/domain-validators';
import { IsOmittable } from '../../../validation/is-omittable';

export class CreateBatchBody implements CreateBatchRequest {
  @ApiProperty({ example: 'CORO' })
  @IsVenueCode()
  venue!: string;

  @ApiProperty({ enum: PRODUCT_CODES })
  @IsProductCode()
  product!: ProductCode;

  @ApiProperty({ example: 20, minimum: 1, maximum: BATCH_COUNT_MAX })
  @IsInt({ message: 'count must be a whole number' })
  @Min(1)
  @Max(BATCH_COUNT_MAX)
  count!: number;

  @ApiPropertyOptional({ default: 0, minimum: BATCH_PRIORITY_MIN, maximum: BATCH_PRIORITY_MAX })
  @IsOmittable()
  @IsInt({ message: 'priority must be a whole number' })
  @Min(BATCH_PRIORITY_MIN)
  @Max(BATCH_PRIORITY_MAX)
  priority?: number;
}

export class BatchResponse implements BatchDto {
  @ApiProperty() id!: number;
  @ApiProperty({ example: 'CORO' }) venue!: string;
  @ApiProperty({ enum: PRODUCT_CODES }) product!: ProductCode;
  @ApiProperty() count!: number;
  @ApiProperty() assigned!: number;
  @ApiProperty() priority!: number;
  @ApiProperty({ enum: BATCH_STATUSES }) status!: BatchStatus;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) finishedAt!: string | null;
}

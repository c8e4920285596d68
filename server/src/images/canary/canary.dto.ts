import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, Max, Min } from 'class-validator';
import {
  CANARY_MAX_UNITS,
  PRODUCT_CODES,
  type CanaryDto,
  type CanaryOutcome,
  type CanaryStartBody,
  type ProductCode,
} from '@rpi-deploy/contracts';
import { IsProductCode, IsSerial } from '../../validation/domain-validators';
import { IsOmittable } from '../../validation/is-omittable';

/** Either `units` or `serials`. */
export class CanaryStartRequest implements CanaryStartBody {
  @ApiPropertyOptional({ minimum: 1, maximum: CANARY_MAX_UNITS, description: 'the next N configs get the image' })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(CANARY_MAX_UNITS)
  units?: number;

  @ApiPropertyOptional({ type: [String], example: ['10000000abcdef01'], description: 'these units get the image' })
  @IsOmittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(CANARY_MAX_UNITS)
  @IsSerial({ each: true })
  serials?: string[];
}

export class CanaryProductParams {
  @ApiProperty({ enum: PRODUCT_CODES })
  @IsProductCode()
  product!: ProductCode;
}

export class CanaryOutcomeResponse implements CanaryOutcome {
  @ApiProperty({ description: 'units that got the canary image' }) units!: number;
  @ApiProperty() installing!: number;
  @ApiProperty({ description: 'status success' }) installed!: number;
  @ApiProperty({ description: 'installed and confirmed their first boot' }) booted!: number;
  @ApiProperty() failed!: number;
}

export class CanaryResponse implements CanaryDto {
  @ApiProperty({ enum: PRODUCT_CODES }) product!: ProductCode;
  @ApiProperty() imageId!: number;
  @ApiProperty() version!: string;
  @ApiProperty({ nullable: true, type: Number }) units!: number | null;
  @ApiProperty({ type: [String] }) serials!: string[];
  @ApiProperty({ description: 'configs that got it by count so far' }) assigned!: number;
  @ApiProperty() startedAt!: string;
  @ApiProperty() startedBy!: string;
  @ApiProperty({ type: CanaryOutcomeResponse }) outcome!: CanaryOutcome;
}

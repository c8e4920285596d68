import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import {
  IMAGE_VERSION_PATTERN,
  PRODUCT_CODES,
  type CaptureMarkRequest,
  type CaptureOpenRequest,
  type ProductCode,
} from '@rpi-deploy/contracts';
import { IsMacAddress, IsProductCode, IsSerial } from '../../validation/domain-validators';

/** POST /api/capture: the marked unit and its card. */
export class CaptureOpenBody implements CaptureOpenRequest {
  @ApiProperty({ example: '10000000abc12345', description: '8-16 hex digits' })
  @IsSerial()
  serial!: string;

  @ApiProperty({ example: 'd8:3a:dd:12:34:56' })
  @IsMacAddress()
  mac!: string;

  @ApiProperty({ description: "the card's size in bytes: the captured image's size" })
  @IsInt({ message: 'sizeBytes must be a whole number of bytes' })
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  sizeBytes!: number;
}

/** PUT /api/netboot/units/:serial/capture: what the unit's card becomes. */
export class CaptureMarkBody implements CaptureMarkRequest {
  @ApiProperty({ enum: PRODUCT_CODES })
  @IsProductCode()
  product!: ProductCode;

  @ApiProperty({ example: '1.5.0' })
  @IsString()
  @Matches(IMAGE_VERSION_PATTERN, {
    message: 'version must be 1-64 letters, digits, ".", "_", "+" or "-", starting with a letter or digit',
  })
  version!: string;
}

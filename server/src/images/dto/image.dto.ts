import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import {
  IMAGE_COMPRESSIONS,
  IMAGE_VERSION_PATTERN,
  PRODUCT_CODES,
  type ImageChunkStats,
  type ImageCompression,
  type ImageConversionDto,
  type ImageDto,
  type ImageRecompressionDto,
  type ImageUploadFields,
  type PartitionTableDto,
  type ProductCode,
} from '@rpi-deploy/contracts';
import { IsProductCode } from '../../validation/domain-validators';
import { IsOmittable } from '../../validation/is-omittable';

/** The text fields of the multipart upload (the file part is named `file`). */
export class ImageUploadFieldsBody implements ImageUploadFields {
  @ApiProperty({ enum: PRODUCT_CODES })
  @IsProductCode()
  product!: ProductCode;

  @ApiProperty({ example: '1.4.0' })
  @IsString()
  @Matches(IMAGE_VERSION_PATTERN, {
    message: 'version must be 1-64 letters, digits, ".", "_", "+" or "-", starting with a letter or digit',
  })
  version!: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class RollbackBody {
  @ApiProperty({ enum: PRODUCT_CODES })
  @IsProductCode()
  product!: ProductCode;
}

export class ImageQuery {
  @ApiPropertyOptional({ enum: PRODUCT_CODES })
  @IsOmittable()
  @IsProductCode()
  product?: ProductCode;
}

export class ImageChunkStatsResponse implements ImageChunkStats {
  @ApiProperty() chunkCount!: number;
  @ApiProperty({ description: 'compressed bytes of its chunks, shared ones included' }) storedBytes!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'mapped bytes in chunks the previous version also has' })
  sharedWithPreviousBytes!: number | null;
}

export class ImageConversionResponse implements ImageConversionDto {
  @ApiProperty() imageId!: number;
  @ApiProperty({ enum: ['queued', 'running', 'done', 'failed'] }) state!: ImageConversionDto['state'];
  @ApiProperty({ description: 'mapped bytes read and checked so far' }) doneBytes!: number;
  @ApiProperty({ description: 'mapped bytes of the image' }) totalBytes!: number;
  @ApiPropertyOptional({ description: 'why it failed' }) error?: string;
}

export class ImageResponse implements ImageDto {
  @ApiProperty() id!: number;
  @ApiProperty({ enum: PRODUCT_CODES }) product!: ProductCode;
  @ApiProperty({ example: '1.4.0' }) version!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'release notes, markdown' }) notes!: string | null;
  @ApiProperty({ example: 'kxp2-3f2a9c1b7d4e.img' }) filename!: string;
  @ApiProperty({ description: 'uncompressed bytes' }) size!: number;
  @ApiProperty({ description: 'SHA-256 of the uncompressed image' }) sha256!: string;
  @ApiProperty({ enum: IMAGE_COMPRESSIONS }) uploadCompression!: ImageCompression;
  @ApiProperty() uploadSize!: number;
  @ApiProperty({ description: 'bytes in non-zero blocks' }) mappedBytes!: number;
  @ApiProperty() partitionTable!: PartitionTableDto;
  @ApiProperty() uploadedBy!: string;
  @ApiProperty({ format: 'date-time' }) uploadedAt!: string;
  @ApiProperty({ nullable: true, type: String, description: 'serial of the unit it was captured from' })
  capturedFrom!: string | null;
  @ApiProperty() active!: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) activatedAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: ImageChunkStatsResponse,
    description: 'the chunk store; null for an image stored before it (served the old way)',
  })
  chunks!: ImageChunkStats | null;
  @ApiProperty({
    nullable: true,
    type: ImageConversionResponse,
    description: 'its latest conversion into chunks since the server started (POST /api/images/:id/chunks)',
  })
  conversion!: ImageConversionDto | null;
  @ApiProperty({
    nullable: true,
    type: ImageConversionResponse,
    description:
      'its latest background recompression since the server started: captured chunks, stored at ' +
      'CAPTURE_ZSTD_LEVEL, brought to CHUNK_ZSTD_LEVEL (bytes: the chunks uncompressed)',
  })
  recompression!: ImageRecompressionDto | null;
}

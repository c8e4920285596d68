import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsUUID, Max, Min } from 'class-validator';
import { LABELS_MAX_DEPLOYMENTS } from '@rpi-deploy/contracts';
import { IsOmittable } from '../../validation/is-omittable';
import { MAX_ROW_ID } from '../../validation/parse-row-id.pipe';

const BATCH_RANGE = `batch must be a whole number from 1 to ${MAX_ROW_ID}`;

/** `GET /api/labels.pdf`: the units of one batch, or the deployments named (exactly one of the two). */
export class LabelsQueryParams {
  @ApiPropertyOptional({ description: 'a batch id: one label per unit handed a hostname through it' })
  @IsOmittable()
  @Type(() => Number)
  @IsInt({ message: BATCH_RANGE })
  @Min(1, { message: BATCH_RANGE })
  @Max(MAX_ROW_ID, { message: BATCH_RANGE })
  batch?: number;

  @ApiPropertyOptional({
    description: `deployment ids, comma-separated (at most ${LABELS_MAX_DEPLOYMENTS}): one label per unit`,
    type: String,
  })
  @IsOmittable()
  @Transform(({ value }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((id) => id.trim())
          .filter((id) => id !== '')
      : value,
  )
  @IsArray({ message: 'deploymentIds must be given once, as ids separated by commas' })
  @ArrayMinSize(1, { message: 'deploymentIds must name at least one deployment' })
  @ArrayMaxSize(LABELS_MAX_DEPLOYMENTS, {
    message: `deploymentIds may name at most ${LABELS_MAX_DEPLOYMENTS} deployments: print larger sets per batch`,
  })
  @IsUUID('4', { each: true, message: 'deploymentIds must be deployment ids (UUIDs) separated by commas' })
  deploymentIds?: string[];
}

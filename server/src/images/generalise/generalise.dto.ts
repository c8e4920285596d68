import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, Matches, MaxLength } from 'class-validator';
import {
  GENERALISE_CANDIDATE_KINDS,
  IMAGE_VERSION_PATTERN,
  type GeneraliseAlwaysCleared,
  type GeneraliseBody,
  type GeneraliseCandidate,
  type GeneraliseCandidateKind,
  type GeneralisePlanDto,
} from '@rpi-deploy/contracts';
import { IsOmittable } from '../../validation/is-omittable';

export class GeneraliseRequest implements GeneraliseBody {
  @ApiProperty({ example: '1.4.0-g', description: 'the new version the generalised copy is stored as' })
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

  @ApiProperty({ type: [String], description: 'paths of candidates to clear (GET .../generalise lists them)' })
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  @MaxLength(4096, { each: true })
  clear!: string[];
}

class AlwaysClearedResponse implements GeneraliseAlwaysCleared {
  @ApiProperty() path!: string;
  @ApiProperty() what!: string;
}

class CandidateResponse implements GeneraliseCandidate {
  @ApiProperty() path!: string;
  @ApiProperty({ enum: GENERALISE_CANDIDATE_KINDS }) kind!: GeneraliseCandidateKind;
  @ApiProperty({ enum: ['empty', 'remove'] }) action!: 'empty' | 'remove';
  @ApiProperty() bytes!: number;
}

export class GeneralisePlanResponse implements GeneralisePlanDto {
  @ApiProperty() imageId!: number;
  @ApiProperty() version!: string;
  @ApiProperty({ type: [AlwaysClearedResponse] }) always!: GeneraliseAlwaysCleared[];
  @ApiProperty({ type: [CandidateResponse] }) candidates!: GeneraliseCandidate[];
}

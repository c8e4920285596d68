import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsString, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import {
  VENUE_CODE_PATTERN,
  type CreateVenueRequest,
  type HostnameStatus,
  type UpdateVenueRequest,
  type VenueDto,
} from '@rpi-deploy/contracts';
import { IsOmittable } from '../../../validation/is-omittable';

const NOT_BLANK = /\S/;

export class CreateVenueBody implements CreateVenueRequest {
  @ApiProperty({ example: 'CORO', pattern: VENUE_CODE_PATTERN.source })
  @IsString()
  @Matches(VENUE_CODE_PATTERN, { message: 'code must be exactly 4 letters or digits, e.g. CORO' })
  code!: string;

  @ApiProperty({ example: 'Corona Karting', maxLength: 120 })
  @IsString()
  @MinLength(1)
  @MaxLength(120)
  @Matches(NOT_BLANK, { message: 'name must not be blank' })
  name!: string;

  @ApiPropertyOptional({ example: 'Kerpen', maxLength: 200 })
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  location?: string;

  @ApiPropertyOptional({ example: 'track@example.com' })
  @IsOmittable()
  @ValidateIf((body: CreateVenueBody) => body.contactEmail !== '')
  @IsEmail({}, { message: 'contactEmail must be an e-mail address' })
  @MaxLength(254)
  contactEmail?: string;
}

export class UpdateVenueBody implements UpdateVenueRequest {
  @ApiPropertyOptional({ maxLength: 120 })
  @IsOmittable()
  @IsString()
  @MaxLength(120)
  @Matches(NOT_BLANK, { message: 'name must not be blank' })
  name?: string;

  @ApiPropertyOptional({ maxLength: 200, description: 'empty string clears it' })
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  location?: string;

  @ApiPropertyOptional({ description: 'empty string clears it' })
  @IsOmittable()
  @ValidateIf((body: UpdateVenueBody) => body.contactEmail !== '')
  @IsEmail({}, { message: 'contactEmail must be an e-mail address' })
  @MaxLength(254)
  contactEmail?: string;
}

class PoolCounts {
  @ApiProperty() available!: number;
  @ApiProperty() assigned!: number;
  @ApiProperty() retired!: number;
}

export class VenueResponse implements VenueDto {
  @ApiProperty({ example: 'CORO' }) code!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) location!: string | null;
  @ApiProperty({ nullable: true, type: String }) contactEmail!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: PoolCounts, description: 'KXP2 kart numbers by status' }) pool!: Record<HostnameStatus, number>;
}

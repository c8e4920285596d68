import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, MaxLength, Min } from 'class-validator';
import {
  RELEASE_NOTES_MAX_LENGTH,
  type ImageChangesDto,
  type PackageChanges,
  type ReleaseNotesBody,
} from '@rpi-deploy/contracts';

export class ReleaseNotesRequest implements ReleaseNotesBody {
  @ApiProperty({ maxLength: RELEASE_NOTES_MAX_LENGTH, description: 'markdown; empty clears the notes' })
  @IsString()
  @MaxLength(RELEASE_NOTES_MAX_LENGTH)
  notes!: string;
}

export class ImageChangesQuery {
  @ApiProperty({ description: 'id of the image to compare with (usually the older one)' })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  from!: number;
}

class ImageSide {
  @ApiProperty() id!: number;
  @ApiProperty() version!: string;
  @ApiProperty() size!: number;
  @ApiProperty() mappedBytes!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'compressed bytes of its chunks' }) storedBytes!:
    number | null;
}

export class ImageChangesResponse implements ImageChangesDto {
  @ApiProperty({ type: ImageSide }) from!: ImageSide;
  @ApiProperty({ type: ImageSide }) to!: ImageSide;
  @ApiProperty({ nullable: true, type: Number, description: 'mapped bytes of `to` in chunks `from` also has' })
  sharedBytes!: number | null;
  @ApiProperty({
    nullable: true,
    type: Object,
    description: 'added, removed, upgraded, downgraded packages and the unchanged count; null without dpkg status',
  })
  packages!: PackageChanges | null;
}

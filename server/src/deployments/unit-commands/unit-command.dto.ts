import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsUUID, Max, Min } from 'class-validator';
import {
  UNIT_COMMANDS,
  type UnitCommandName,
  type UnitCommandRequest,
  type UnitPollRequest,
} from '@rpi-deploy/contracts';
import { IsOmittable } from '../../validation/is-omittable';

export class UnitCommandBody implements UnitCommandRequest {
  @ApiProperty({ enum: UNIT_COMMANDS })
  @IsIn(UNIT_COMMANDS, { message: `command must be one of ${UNIT_COMMANDS.join(', ')}` })
  command!: UnitCommandName;
}

export class UnitPollBody implements UnitPollRequest {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('4', { message: 'deploymentId must be the id /api/config returned' })
  deploymentId!: string;

  @ApiPropertyOptional({ type: [Number], description: 'ids of commands the unit carried out' })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(100)
  @IsInt({ each: true, message: 'done must list command ids' })
  @Min(1, { each: true })
  @Max(2147483647, { each: true })
  done?: number[];
}

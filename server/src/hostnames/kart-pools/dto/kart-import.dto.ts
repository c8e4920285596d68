import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsInt,
  Max,
  Min,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';
import { KART_NUMBER_MAX, KART_NUMBER_MIN, type KartImportResult } from '@rpi-deploy/contracts';
import { IsOmittable } from '../../../validation/is-omittable';

/** A kart number as a whole number or a string of 1-3 digits ("7", "007"). */
function IsKartNumberList() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isKartNumberList',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) =>
          Array.isArray(value) &&
          value.every(
            (item) =>
              (typeof item === 'number' && Number.isInteger(item)) ||
              (typeof item === 'string' && /^\d{1,3}$/.test(item)),
          ),
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} must be whole numbers or strings of 1-3 digits, e.g. ["001", "002"]`,
      },
    });
}

export class KartImportBody {
  @ApiPropertyOptional({ example: ['001', '002'], type: [String] })
  @IsOmittable()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(KART_NUMBER_MAX)
  @IsKartNumberList()
  numbers?: Array<string | number>;

  @ApiPropertyOptional({ example: 1, minimum: KART_NUMBER_MIN, maximum: KART_NUMBER_MAX })
  @IsOmittable()
  @IsInt()
  @Min(KART_NUMBER_MIN)
  @Max(KART_NUMBER_MAX)
  from?: number;

  @ApiPropertyOptional({ example: 50, minimum: KART_NUMBER_MIN, maximum: KART_NUMBER_MAX })
  @IsOmittable()
  @IsInt()
  @Min(KART_NUMBER_MIN)
  @Max(KART_NUMBER_MAX)
  to?: number;
}

export class KartImportResponse implements KartImportResult {
  @ApiProperty({ description: 'numbers added to the pool' }) added!: number;
  @ApiProperty({ description: 'numbers already in the pool, or repeated in the request' }) skipped!: number;
}

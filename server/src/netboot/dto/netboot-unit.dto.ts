import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import type { ProductCode } from '@rpi-deploy/contracts';
import { IsProductCode, IsVenueCode } from '../../validation/domain-validators';

/** PUT /api/netboot/units/:serial: what this unit boots differently (at least one of them). */
export class NetbootUnitBody {
  @ApiPropertyOptional({ enum: ['KXP2', 'RXP2'] })
  @IsOptional()
  @IsProductCode()
  product?: ProductCode;

  @ApiPropertyOptional({ example: 'CORO' })
  @IsOptional()
  @IsVenueCode()
  venue?: string;
}

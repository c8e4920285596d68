import { ApiPropertyOptional } from '@nestjs/swagger';

import type { ProductCode } from '@rpi-deploy/contracts';
import { IsProductCode, IsVenueCode } from '../../validation/domain-validators';
import { IsOmittable } from '../../validation/is-omittable';

/** PUT /api/netboot/units/:serial: what this unit boots differently (at least one of them). */
export class NetbootUnitBody {
  @ApiPropertyOptional({ enum: ['KXP2', 'RXP2'] })
  @IsOmittable()
  @IsProductCode()
  product?: ProductCode;

  @ApiPropertyOptional({ example: 'CORO' })
  @IsOmittable()
  @IsVenueCode()
  venue?: string;
}

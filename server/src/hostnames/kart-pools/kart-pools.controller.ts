import { BadRequestException, Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { KartImportResult } from '@rpi-deploy/contracts';
import { Audited, fromParam } from '../../audit/audited.decorator';
import { RequireRole } from '../../auth/require-role.decorator';
import { KartImportBody, KartImportResponse } from './dto/kart-import.dto';
import { KartPoolsService } from './kart-pools.service';

/** Kart-number imports, at home under their venue's address (`/api/venues/:code/karts`). */
@ApiTags('venues')
@ApiBearerAuth()
@Controller('api/venues')
export class KartPoolsController {
  constructor(private readonly kartPools: KartPoolsService) {}

  @Post(':code/karts')
  @RequireRole('operator')
  @Audited('venue.karts_import', { targetType: 'venue', targetId: fromParam('code') })
  @HttpCode(200)
  @ApiOkResponse({ type: KartImportResponse })
  importKarts(@Param('code') code: string, @Body() body: KartImportBody): Promise<KartImportResult> {
    return this.kartPools.importKarts(code, kartNumbers(body));
  }
}

/** The numbers of a list import, or every number of an inclusive range. */
function kartNumbers(body: KartImportBody): number[] {
  const hasRange = body.from !== undefined || body.to !== undefined;
  if (body.numbers !== undefined && hasRange) {
    throw new BadRequestException('Give either numbers or from/to, not both');
  }
  if (body.numbers !== undefined) return body.numbers.map(Number);
  if (body.from === undefined || body.to === undefined) {
    throw new BadRequestException(hasRange ? 'Give both from and to' : 'Give numbers, or from and to');
  }
  if (body.from > body.to)
    throw new BadRequestException(`from (${body.from}) must not be greater than to (${body.to})`);
  return Array.from({ length: body.to - body.from + 1 }, (_, index) => body.from! + index);
}

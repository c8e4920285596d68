import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { KartImportResult, VenueDto } from '@rpi-deploy/contracts';
import { RequireRole } from '../auth/require-role.decorator';
import { KartImportBody, KartImportResponse } from './dto/kart-import.dto';
import { CreateVenueBody, UpdateVenueBody, VenueResponse } from './dto/venue.dto';
import { VenuesService } from './venues.service';

@ApiTags('venues')
@ApiBearerAuth()
@Controller('api/venues')
export class VenuesController {
  constructor(private readonly venues: VenuesService) {}

  @Get()
  @ApiOkResponse({ type: [VenueResponse] })
  list(): Promise<VenueDto[]> {
    return this.venues.list();
  }

  @Post()
  @RequireRole('operator')
  @ApiConflictResponse({ description: 'A venue with that code exists' })
  create(@Body() body: CreateVenueBody): Promise<VenueDto> {
    return this.venues.create(body);
  }

  @Get(':code')
  @ApiOkResponse({ type: VenueResponse })
  @ApiNotFoundResponse({ description: 'Unknown venue' })
  get(@Param('code') code: string): Promise<VenueDto> {
    return this.venues.get(code);
  }

  @Patch(':code')
  @RequireRole('operator')
  @ApiOkResponse({ type: VenueResponse })
  update(@Param('code') code: string, @Body() body: UpdateVenueBody): Promise<VenueDto> {
    return this.venues.update(code, body);
  }

  @Delete(':code')
  @RequireRole('operator')
  @HttpCode(204)
  @ApiConflictResponse({ description: 'The venue has assigned hostnames or open batches' })
  async remove(@Param('code') code: string): Promise<void> {
    await this.venues.remove(code);
  }

  @Post(':code/karts')
  @RequireRole('operator')
  @HttpCode(200)
  @ApiOkResponse({ type: KartImportResponse })
  importKarts(@Param('code') code: string, @Body() body: KartImportBody): Promise<KartImportResult> {
    return this.venues.importKarts(code, kartNumbers(body));
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

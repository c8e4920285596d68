import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { VenueDto } from '@rpi-deploy/contracts';
import { Audited, fromBody, fromParam, type StateReader } from '../../audit/audited.decorator';
import { RequireRole } from '../../auth/require-role.decorator';
import { CreateVenueBody, UpdateVenueBody, VenueResponse } from './dto/venue.dto';
import { VenuesService } from './venues.service';

const venueState: StateReader = (resolve, code) => resolve(VenuesService).get(code);

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
  @Audited('venue.create', { targetType: 'venue', targetId: fromBody('code'), state: venueState })
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
  @Audited('venue.update', { targetType: 'venue', targetId: fromParam('code'), state: venueState })
  @ApiOkResponse({ type: VenueResponse })
  update(@Param('code') code: string, @Body() body: UpdateVenueBody): Promise<VenueDto> {
    return this.venues.update(code, body);
  }

  @Delete(':code')
  @RequireRole('operator')
  @Audited('venue.delete', { targetType: 'venue', targetId: fromParam('code'), state: venueState })
  @HttpCode(204)
  @ApiConflictResponse({ description: 'The venue has assigned hostnames or open batches' })
  async remove(@Param('code') code: string): Promise<void> {
    await this.venues.remove(code);
  }
}

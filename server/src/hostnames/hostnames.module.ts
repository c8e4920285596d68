import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Batch } from './batches/batch.entity';
import { BatchesController } from './batches/batches.controller';
import { BatchesService } from './batches/batches.service';
import { HostnameRecord } from './hostname-record.entity';
import { HostnamesController } from './hostnames.controller';
import { HostnamesService } from './hostnames.service';
import { KartPoolsController } from './kart-pools/kart-pools.controller';
import { KartPoolsService } from './kart-pools/kart-pools.service';
import { Venue } from './venues/venue.entity';
import { VenuesController } from './venues/venues.controller';
import { VenuesService } from './venues/venues.service';

/**
 * Hostname assignment (here) and what it draws on: venues (venues/), their kart-number pools
 * (kart-pools/) and deployment batches (batches/). Deployments uses the exported services.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Venue, HostnameRecord, Batch])],
  controllers: [VenuesController, KartPoolsController, HostnamesController, BatchesController],
  providers: [VenuesService, KartPoolsService, HostnamesService, BatchesService],
  exports: [HostnamesService, VenuesService, BatchesService],
})
export class HostnamesModule {}

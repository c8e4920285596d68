import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Batch } from './batch.entity';
import { BatchesController } from './batches.controller';
import { BatchesService } from './batches.service';
import { HostnameRecord } from './hostname-record.entity';
import { HostnamesController } from './hostnames.controller';
import { HostnamesService } from './hostnames.service';
import { Venue } from './venue.entity';
import { VenuesController } from './venues.controller';
import { VenuesService } from './venues.service';

/** Venues, their kart-number pools, hostname assignment and deployment batches. */
@Module({
  imports: [TypeOrmModule.forFeature([Venue, HostnameRecord, Batch])],
  controllers: [VenuesController, HostnamesController, BatchesController],
  providers: [VenuesService, HostnamesService, BatchesService],
  exports: [HostnamesService, VenuesService],
})
export class HostnamesModule {}

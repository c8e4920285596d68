import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository, type EntityManager } from 'typeorm';
import type { CreateVenueRequest, HostnameStatus, UpdateVenueRequest, VenueDto } from '@rpi-deploy/contracts';
import { Transactions } from '../../database/transactions';
import { isForeignKeyViolation, isUniqueViolation } from '../../database/unique-violation';
import { Batch } from '../batches/batch.entity';
import { HostnameRecord } from '../hostname-record.entity';
import { Venue } from './venue.entity';

type PoolCounts = Record<HostnameStatus, number>;
const emptyPool = (): PoolCounts => ({ available: 0, assigned: 0, retired: 0 });

/** Venues, each with the counts of its kart-number pool (filled by KartPoolsService). */
@Injectable()
export class VenuesService {
  constructor(
    @InjectRepository(Venue) private readonly venues: Repository<Venue>,
    @InjectRepository(HostnameRecord) private readonly hostnames: Repository<HostnameRecord>,
    private readonly transactions: Transactions,
  ) {}

  async list(): Promise<VenueDto[]> {
    const venues = await this.venues.find({ order: { code: 'ASC' } });
    const pools = await this.poolCounts(venues.map((venue) => venue.id));
    return venues.map((venue) => toVenueDto(venue, pools.get(venue.id)));
  }

  async get(code: string): Promise<VenueDto> {
    const venue = await this.find(this.venues.manager, code);
    return toVenueDto(venue, (await this.poolCounts([venue.id])).get(venue.id));
  }

  /** The venue with that code, or 404. */
  async find(manager: EntityManager, code: string): Promise<Venue> {
    const venue = await manager.findOneBy(Venue, { code: code.toUpperCase() });
    if (!venue) throw new NotFoundException(`Unknown venue "${code.toUpperCase()}"`);
    return venue;
  }

  async create(request: CreateVenueRequest): Promise<VenueDto> {
    const code = request.code.toUpperCase();
    try {
      const venue = await this.transactions.run(async (manager) => {
        if (await manager.existsBy(Venue, { code })) throw new VenueExists(code);
        return manager.save(
          manager.create(Venue, {
            code,
            name: request.name.trim(),
            location: blankToNull(request.location),
            contactEmail: blankToNull(request.contactEmail),
          }),
        );
      });
      return toVenueDto(venue);
    } catch (error) {
      if (error instanceof VenueExists || isUniqueViolation(error)) {
        throw new ConflictException(`Venue ${code} already exists`);
      }
      throw error;
    }
  }

  async update(code: string, changes: UpdateVenueRequest): Promise<VenueDto> {
    if (Object.values(changes).every((value) => value === undefined)) {
      throw new BadRequestException('Nothing to change: give name, location and/or contactEmail');
    }
    await this.transactions.run(async (manager) => {
      const venue = await this.find(manager, code);
      if (changes.name !== undefined) venue.name = changes.name.trim();
      if (changes.location !== undefined) venue.location = blankToNull(changes.location);
      if (changes.contactEmail !== undefined) venue.contactEmail = blankToNull(changes.contactEmail);
      await manager.save(venue);
    });
    return this.get(code);
  }

  /** Refused while the venue has units holding its hostnames or batches still to run. */
  async remove(code: string): Promise<void> {
    await this.transactions
      .run(async (manager) => {
        const venue = await this.find(manager, code);
        const assigned = await manager.countBy(HostnameRecord, { venueId: venue.id, status: 'assigned' });
        if (assigned > 0) {
          throw new ConflictException(
            `Venue ${venue.code} still has ${assigned} assigned hostname(s): release or retire them first`,
          );
        }
        const open = await manager.countBy(Batch, { venueId: venue.id, status: In(['pending', 'active', 'paused']) });
        if (open > 0) throw new ConflictException(`Venue ${venue.code} has ${open} open batch(es): cancel them first`);
        await manager.delete(Venue, { id: venue.id });
      })
      .catch((error: unknown) => {
        // Deployments keep their venue (a foreign key the database enforces): history stays whole.
        if (isForeignKeyViolation(error)) {
          throw new ConflictException(
            `Venue ${code.toUpperCase()} has deployments in its history and cannot be deleted`,
          );
        }
        throw error;
      });
  }

  /** KXP2 kart numbers by status, per venue. */
  private async poolCounts(venueIds: number[]): Promise<Map<number, PoolCounts>> {
    const pools = new Map<number, PoolCounts>();
    if (venueIds.length === 0) return pools;
    const rows = await this.hostnames
      .createQueryBuilder('h')
      .select('h.venueId', 'venueId')
      .addSelect('h.status', 'status')
      .addSelect('COUNT(*)', 'count')
      .where('h.product = :product', { product: 'KXP2' })
      .andWhere('h.venueId IN (:...venueIds)', { venueIds })
      .groupBy('h.venueId')
      .addGroupBy('h.status')
      .getRawMany<{ venueId: number; status: HostnameStatus; count: string | number }>();
    for (const row of rows) {
      const pool = pools.get(Number(row.venueId)) ?? emptyPool();
      pool[row.status] = Number(row.count);
      pools.set(Number(row.venueId), pool);
    }
    return pools;
  }
}

class VenueExists extends Error {}

function blankToNull(value: string | undefined | null): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

export function toVenueDto(venue: Venue, pool: PoolCounts = emptyPool()): VenueDto {
  return {
    code: venue.code,
    name: venue.name,
    location: venue.location,
    contactEmail: venue.contactEmail,
    createdAt: venue.createdAt.toISOString(),
    pool,
  };
}

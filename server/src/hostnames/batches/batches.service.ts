import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, type EntityManager } from 'typeorm';
import type { BatchAction, BatchDto, BatchStatus, CreateBatchRequest, ProductCode } from '@rpi-deploy/contracts';
import { Transactions } from '../../database/transactions';
import { Batch } from './batch.entity';
import { HostnameRecord } from '../hostname-record.entity';
import { Venue } from '../venues/venue.entity';
import { VenuesService } from '../venues/venues.service';

/** Which states each action may start from, and where it leads. */
const TRANSITIONS: Record<BatchAction, { from: BatchStatus[]; to: BatchStatus }> = {
  start: { from: ['pending', 'paused'], to: 'active' },
  pause: { from: ['active'], to: 'paused' },
  cancel: { from: ['pending', 'active', 'paused'], to: 'cancelled' },
};

/** Where a Pi's hostname comes from: the venue and product, and the batch it counts towards. */
export interface AssignmentTarget {
  venue: Venue;
  product: ProductCode;
  batch: Batch | null;
}

@Injectable()
export class BatchesService {
  constructor(
    @InjectRepository(Batch) private readonly batches: Repository<Batch>,
    private readonly venues: VenuesService,
    private readonly transactions: Transactions,
  ) {}

  async list(): Promise<BatchDto[]> {
    const batches = await this.batches.find({ relations: { venue: true }, order: { id: 'DESC' } });
    return batches.map(toBatchDto);
  }

  async get(id: number): Promise<BatchDto> {
    return toBatchDto(await this.find(this.batches.manager, id));
  }

  async create(request: CreateBatchRequest): Promise<BatchDto> {
    const id = await this.transactions.run(async (manager) => {
      const venue = await this.venues.find(manager, request.venue);
      if (request.product === 'KXP2') await this.checkPool(manager, venue, request.count);
      const batch = await manager.save(
        manager.create(Batch, {
          venueId: venue.id,
          product: request.product,
          count: request.count,
          priority: request.priority ?? 0,
          status: 'pending',
          assigned: 0,
        }),
      );
      return batch.id;
    });
    return this.get(id);
  }

  async apply(id: number, action: BatchAction): Promise<BatchDto> {
    await this.transactions.run(async (manager) => {
      const batch = await this.find(manager, id, true);
      const { from, to } = TRANSITIONS[action];
      if (!from.includes(batch.status)) {
        throw new ConflictException(`Cannot ${action} batch ${id}: it is ${batch.status}`);
      }
      if (action === 'start' && batch.product === 'KXP2') {
        await this.checkPool(manager, batch.venue!, batch.count - batch.assigned);
      }
      batch.status = to;
      if (to === 'active') batch.startedAt ??= new Date();
      if (to === 'cancelled') batch.finishedAt = new Date();
      await manager.save(batch);
    });
    return this.get(id);
  }

  /**
   * Fills in what the Pi did not say from the active batch with the highest priority (oldest
   * first on a tie) that matches what it did say. The batch row is locked on PostgreSQL so
   * concurrent assignments count towards it one at a time and never overshoot its count.
   */
  async resolveTarget(manager: EntityManager, product?: ProductCode, venue?: Venue): Promise<AssignmentTarget> {
    const query = manager
      .createQueryBuilder(Batch, 'b')
      .where('b.status = :status', { status: 'active' })
      .orderBy('b.priority', 'DESC')
      .addOrderBy('b.id', 'ASC')
      .limit(1);
    if (product) query.andWhere('b.product = :product', { product });
    if (venue) query.andWhere('b.venueId = :venueId', { venueId: venue.id });
    if (this.transactions.isPostgres) query.setLock('pessimistic_write');
    const batch = await query.getOne();

    if (product && venue) return { venue, product, batch };
    if (!batch) {
      const said = [product && `product ${product}`, venue && `venue ${venue.code}`].filter(Boolean).join(' and ');
      throw new ConflictException(
        `No active batch${said ? ` for ${said}` : ''}: start a batch, or send both product and venue`,
      );
    }
    return {
      venue: venue ?? (await manager.findOneByOrFail(Venue, { id: batch.venueId })),
      product: batch.product,
      batch,
    };
  }

  /** Counts one new assignment towards the batch; the batch completes when its count is reached. */
  async countAssignment(manager: EntityManager, batch: Batch): Promise<void> {
    batch.assigned += 1;
    if (batch.assigned >= batch.count) {
      batch.status = 'completed';
      batch.finishedAt = new Date();
    }
    await manager.update(
      Batch,
      { id: batch.id },
      {
        assigned: batch.assigned,
        status: batch.status,
        finishedAt: batch.finishedAt,
      },
    );
  }

  private async find(manager: EntityManager, id: number, lock = false): Promise<Batch> {
    const batch = await manager.findOne(Batch, {
      where: { id },
      ...(lock && this.transactions.isPostgres ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!batch) throw new NotFoundException(`No batch ${id}`);
    batch.venue = await manager.findOneByOrFail(Venue, { id: batch.venueId });
    return batch;
  }

  private async checkPool(manager: EntityManager, venue: Venue, needed: number): Promise<void> {
    const free = await manager.countBy(HostnameRecord, { venueId: venue.id, product: 'KXP2', status: 'available' });
    if (free < needed) {
      throw new ConflictException(
        `The kart pool of ${venue.code} has ${free} free number(s) but the batch needs ${needed}: ` +
          `import more with POST /api/venues/${venue.code}/karts`,
      );
    }
  }
}

export function toBatchDto(batch: Batch): BatchDto {
  return {
    id: batch.id,
    venue: batch.venue!.code,
    product: batch.product,
    count: batch.count,
    assigned: batch.assigned,
    priority: batch.priority,
    status: batch.status,
    createdAt: batch.createdAt.toISOString(),
    startedAt: batch.startedAt?.toISOString() ?? null,
    finishedAt: batch.finishedAt?.toISOString() ?? null,
  };
}

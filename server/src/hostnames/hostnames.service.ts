import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, type EntityManager, type FindOptionsWhere } from 'typeorm';
import {
  formatHostname,
  serialIdentifier,
  type AssignHostnameRequest,
  type AssignHostnameResult,
  type HostnameDto,
  type HostnameQuery,
  type ProductCode,
} from '@rpi-deploy/contracts';
import { Transactions } from '../database/transactions';
import { isUniqueViolation } from '../database/unique-violation';
import { BatchesService } from './batches/batches.service';
import { HostnameRecord } from './hostname-record.entity';
import { Venue } from './venues/venue.entity';
import { VenuesService } from './venues/venues.service';

/** Concurrent first requests of one device can collide on a unique index once; the retry sees the winner. */
const ASSIGN_ATTEMPTS = 3;

@Injectable()
export class HostnamesService {
  constructor(
    @InjectRepository(HostnameRecord) private readonly hostnames: Repository<HostnameRecord>,
    private readonly venues: VenuesService,
    private readonly batches: BatchesService,
    private readonly transactions: Transactions,
  ) {}

  async list(filter: HostnameQuery): Promise<HostnameDto[]> {
    const where: FindOptionsWhere<HostnameRecord> = {};
    if (filter.venue) where.venueId = (await this.venues.find(this.hostnames.manager, filter.venue)).id;
    if (filter.product) where.product = filter.product;
    if (filter.status) where.status = filter.status;
    const records = await this.hostnames.find({ where, relations: { venue: true }, order: { hostname: 'ASC' } });
    return records.map((record) => toHostnameDto(record));
  }

  /**
   * Gives a device its hostname: the one it already holds at that venue and product (same
   * serial or same MAC), else the lowest free kart number (KXP2) or its serial-based name (RXP2).
   */
  async assign(request: AssignHostnameRequest): Promise<AssignHostnameResult> {
    const serial = request.serial.toLowerCase();
    const mac = request.mac.toLowerCase();
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.transactions.run((manager) =>
          this.assignWithin(manager, serial, mac, request.product, request.venue),
        );
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= ASSIGN_ATTEMPTS) throw error;
      }
    }
  }

  /** Back to the pool: available, device cleared. */
  async release(hostname: string): Promise<HostnameDto> {
    return this.change(hostname, (record) => {
      if (record.status === 'available') throw new ConflictException(`${record.hostname} is already available`);
      record.status = 'available';
      record.deviceSerial = null;
      record.deviceMac = null;
      record.assignedAt = null;
    });
  }

  /** Out of use for good (a scrapped kart); the device that last held it stays on record. */
  async retire(hostname: string): Promise<HostnameDto> {
    return this.change(hostname, (record) => {
      if (record.status === 'retired') throw new ConflictException(`${record.hostname} is already retired`);
      record.status = 'retired';
    });
  }

  private async assignWithin(
    manager: EntityManager,
    serial: string,
    mac: string,
    product?: ProductCode,
    venueCode?: string,
  ): Promise<AssignHostnameResult> {
    await this.lockDevice(manager, serial, mac);
    const venue = venueCode === undefined ? undefined : await this.venues.find(manager, venueCode);
    // A Pi that does not say where it belongs and already holds a hostname keeps it, even if
    // the batch it came from has completed meanwhile (a reboot mid-install). Moving a unit to
    // another venue means releasing its hostname first.
    if (!product || !venue) {
      const held = await this.heldBy(manager, serial, mac, { product, venueId: venue?.id });
      if (held) return { ...toHostnameDto(held), reused: true, batchId: null };
    }

    const target = await this.batches.resolveTarget(manager, product, venue);
    const held = await this.heldBy(manager, serial, mac, { product: target.product, venueId: target.venue.id });
    if (held) return { ...toHostnameDto(held), reused: true, batchId: null };

    const record =
      target.product === 'KXP2'
        ? await this.freeKartNumber(manager, target.venue)
        : await this.serialHostname(manager, target.venue, serial);
    const assigned = { status: 'assigned' as const, deviceSerial: serial, deviceMac: mac, assignedAt: new Date() };
    Object.assign(record, assigned);
    // A kart number (or a released serial name) is a row already read: one UPDATE, not save()'s re-read first.
    if (record.id === undefined) await manager.save(record);
    else await manager.update(HostnameRecord, { id: record.id }, assigned);
    if (target.batch) await this.batches.countAssignment(manager, target.batch);
    return { ...toHostnameDto(record, target.venue), reused: false, batchId: target.batch?.id ?? null };
  }

  /**
   * On PostgreSQL, requests of one device (same serial or same MAC) take turns, so a Pi that
   * asks twice at once gets one hostname instead of two. Advisory locks in a fixed order
   * (serial class, then MAC class) cannot deadlock. SQLite runs one write transaction at a time.
   */
  private async lockDevice(manager: EntityManager, serial: string, mac: string): Promise<void> {
    if (!this.transactions.isPostgres) return;
    // One round trip; a select list is evaluated left to right, so the order holds.
    await manager.query('SELECT pg_advisory_xact_lock(1, hashtext($1)), pg_advisory_xact_lock(2, hashtext($2))', [
      serial,
      mac,
    ]);
  }

  /** The hostname the device (same serial, or same MAC) holds, the most recent one first. */
  private heldBy(
    manager: EntityManager,
    serial: string,
    mac: string,
    scope: { product?: ProductCode; venueId?: number },
  ): Promise<HostnameRecord | null> {
    // A query builder with LIMIT, not findOne: with a joined relation findOne takes two queries
    // (ids first), and each config asks this once or twice. The venue join is one row per hostname.
    const query = manager
      .createQueryBuilder(HostnameRecord, 'h')
      .leftJoinAndSelect('h.venue', 'venue')
      .where('h.status = :status', { status: 'assigned' })
      .andWhere('(h.deviceSerial = :serial OR h.deviceMac = :mac)', { serial, mac })
      .orderBy('h.assignedAt', 'DESC')
      .limit(1);
    if (scope.product !== undefined) query.andWhere('h.product = :product', { product: scope.product });
    if (scope.venueId !== undefined) query.andWhere('h.venueId = :venueId', { venueId: scope.venueId });
    return query.getOne();
  }

  /**
   * The lowest available kart number. On PostgreSQL the row is locked and rows that other
   * transactions hold are skipped, so concurrent requests each get a different number at once;
   * only when every free row is held does it wait, in case one of those transactions rolls back.
   */
  private async freeKartNumber(manager: EntityManager, venue: Venue): Promise<HostnameRecord> {
    const query = () =>
      manager
        .createQueryBuilder(HostnameRecord, 'h')
        .where('h.venueId = :venueId AND h.product = :product AND h.status = :status', {
          venueId: venue.id,
          product: 'KXP2',
          status: 'available',
        })
        .orderBy('h.identifier', 'ASC')
        .limit(1);
    const record = this.transactions.isPostgres
      ? ((await query().setLock('pessimistic_write').setOnLocked('skip_locked').getOne()) ??
        (await query().setLock('pessimistic_write').getOne()))
      : await query().getOne();
    if (!record) {
      throw new ConflictException(
        `No free kart number left in the pool of ${venue.code}: import more with POST /api/venues/${venue.code}/karts`,
      );
    }
    return record;
  }

  private async serialHostname(manager: EntityManager, venue: Venue, serial: string): Promise<HostnameRecord> {
    const identifier = serialIdentifier(serial);
    const existing = await manager.findOne(HostnameRecord, {
      where: { venueId: venue.id, product: 'RXP2', identifier },
      ...(this.transactions.isPostgres ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!existing) {
      return manager.create(HostnameRecord, {
        venueId: venue.id,
        product: 'RXP2',
        identifier,
        hostname: formatHostname('RXP2', venue.code, identifier),
      });
    }
    if (existing.status === 'retired') {
      throw new ConflictException(`${existing.hostname} is retired: release it first to use it again`);
    }
    if (existing.status === 'assigned') {
      throw new ConflictException(
        `${existing.hostname} is held by another device (serial ${existing.deviceSerial}, MAC ${existing.deviceMac}): ` +
          'release it if that unit is gone',
      );
    }
    return existing;
  }

  /** One hostname as the list shows it, or null when there is no such name. */
  async find(hostname: string): Promise<HostnameDto | null> {
    const record = await this.hostnames.findOne({
      where: { hostname: hostname.toUpperCase() },
      relations: { venue: true },
    });
    return record ? toHostnameDto(record) : null;
  }

  private async change(hostname: string, mutate: (record: HostnameRecord) => void): Promise<HostnameDto> {
    return this.transactions.run(async (manager) => {
      const record = await manager.findOne(HostnameRecord, {
        where: { hostname: hostname.toUpperCase() },
        ...(this.transactions.isPostgres ? { lock: { mode: 'pessimistic_write' as const } } : {}),
      });
      if (!record) throw new NotFoundException(`Unknown hostname "${hostname}"`);
      mutate(record);
      await manager.save(record);
      return toHostnameDto(record, await manager.findOneByOrFail(Venue, { id: record.venueId }));
    });
  }
}

export function toHostnameDto(record: HostnameRecord, venue: Venue = record.venue!): HostnameDto {
  return {
    hostname: record.hostname,
    product: record.product,
    venue: venue.code,
    identifier: record.identifier,
    status: record.status,
    deviceSerial: record.deviceSerial,
    deviceMac: record.deviceMac,
    assignedAt: record.assignedAt?.toISOString() ?? null,
  };
}

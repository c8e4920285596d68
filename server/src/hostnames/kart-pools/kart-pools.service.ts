import { BadRequestException, Injectable } from '@nestjs/common';
import {
  formatHostname,
  formatKartNumber,
  KART_NUMBER_MAX,
  KART_NUMBER_MIN,
  type KartImportResult,
} from '@rpi-deploy/contracts';
import { Transactions } from '../../database/transactions';
import { HostnameRecord } from '../hostname-record.entity';
import { VenuesService } from '../venues/venues.service';

/**
 * A venue's KXP2 kart-number pool: one `available` hostname row per imported number, taken by
 * hostname assignment. Its counts by status come with the venue (VenuesService); its numbers
 * are listed through GET /api/hostnames?venue=&product=KXP2.
 */
@Injectable()
export class KartPoolsService {
  constructor(
    private readonly venues: VenuesService,
    private readonly transactions: Transactions,
  ) {}

  /** Adds kart numbers to the venue's KXP2 pool; numbers already there are skipped and counted. */
  async importKarts(code: string, karts: number[]): Promise<KartImportResult> {
    const outOfRange = karts.filter((kart) => kart < KART_NUMBER_MIN || kart > KART_NUMBER_MAX);
    if (outOfRange.length > 0) {
      throw new BadRequestException(
        `Kart numbers must be ${KART_NUMBER_MIN}-${KART_NUMBER_MAX}; out of range: ${outOfRange.slice(0, 10).join(', ')}`,
      );
    }
    const unique = [...new Set(karts)].map(formatKartNumber);
    return this.transactions.run(async (manager) => {
      const venue = await this.venues.find(manager, code);
      const before = await manager.countBy(HostnameRecord, { venueId: venue.id, product: 'KXP2' });
      await manager
        .createQueryBuilder()
        .insert()
        .into(HostnameRecord)
        .values(
          unique.map((identifier) => ({
            venueId: venue.id,
            product: 'KXP2' as const,
            identifier,
            hostname: formatHostname('KXP2', venue.code, identifier),
            status: 'available' as const,
          })),
        )
        .orIgnore()
        .updateEntity(false)
        .execute();
      const added = (await manager.countBy(HostnameRecord, { venueId: venue.id, product: 'KXP2' })) - before;
      return { added, skipped: karts.length - added };
    });
  }
}

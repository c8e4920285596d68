import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Transactions } from '../../database/transactions';

/** Advisory-lock key of the chunk claims (other key spaces: see cluster-job.ts). */
const CLAIM_LOCK = [7, 0] as const;
/** A claim this old was left by an instance that died mid-upload: it protects nothing any more. */
const CLAIM_LIFETIME = '24 hours';

/**
 * Which chunks uploads (and conversions) in progress are about to reference, so that freeing
 * unused chunks never removes one of them. Counted per process; on PostgreSQL each chunk this
 * process claims is also a `chunk_claims` row, so the collector of every other instance sees it
 * (an S3 bucket or a shared folder holds the chunks of all of them).
 *
 * Claiming-then-looking (for the chunk's file) and checking-then-removing never interleave: in
 * the process they take turns, across instances a claim is committed under a shared advisory
 * lock that the collector holds exclusively while it checks and removes. So a claim committed
 * first is seen by the collector, and a claim that waited looks only once the removal is done.
 */
@Injectable()
export class ChunkClaims {
  private readonly logger = new Logger('Chunks');
  private readonly counts = new Map<string, number>();
  /** This process in the claim rows. */
  private readonly holder = randomBytes(8).toString('hex');
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly transactions: Transactions) {}

  /** Claims the chunk, then runs `look` before any collector can remove it. */
  claimThen<T>(sha256: string, look: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const count = this.counts.get(sha256) ?? 0;
      this.counts.set(sha256, count + 1);
      if (count === 0 && this.transactions.isPostgres) {
        await this.transactions.run(async (manager) => {
          await manager.query('SELECT pg_advisory_xact_lock_shared($1, $2)', [...CLAIM_LOCK]);
          await manager.query(
            'INSERT INTO chunk_claims (sha256, holder) VALUES ($1, $2) ' +
              'ON CONFLICT (sha256, holder) DO UPDATE SET claimed_at = now()',
            [sha256, this.holder],
          );
        });
      }
      return look();
    });
  }

  /** Ends one claim per digest given (a digest claimed twice is given twice); never rejects. */
  release(sha256s: Iterable<string>): Promise<void> {
    const given = [...sha256s];
    return this.exclusive(async () => {
      const ended: string[] = [];
      for (const sha256 of given) {
        const count = (this.counts.get(sha256) ?? 0) - 1;
        if (count > 0) this.counts.set(sha256, count);
        else if (this.counts.delete(sha256)) ended.push(sha256);
      }
      if (ended.length === 0 || !this.transactions.isPostgres) return;
      // The upload's fate is settled already: a claim row left behind only delays a removal.
      await this.transactions
        .run((manager) =>
          manager.query('DELETE FROM chunk_claims WHERE holder = $1 AND sha256 = ANY($2)', [this.holder, ended]),
        )
        .catch((error: Error) =>
          this.logger.warn(`Chunk claims not ended (they lapse after ${CLAIM_LIFETIME}): ${error.message}`),
        );
    });
  }

  /**
   * Runs `work` with those of `candidates` no upload on any instance claims, while no new claim
   * can be taken (work removes the chunks it may, files and rows, before it resolves).
   */
  whileUnclaimed<T>(candidates: string[], work: (unclaimed: string[]) => Promise<T>): Promise<T> {
    const distinct = [...new Set(candidates)];
    return this.exclusive(async () => {
      const here = distinct.filter((sha256) => !this.counts.has(sha256));
      if (!this.transactions.isPostgres) return work(here);
      return this.transactions.run(async (manager) => {
        await manager.query('SELECT pg_advisory_xact_lock($1, $2)', [...CLAIM_LOCK]);
        const rows: Array<{ sha256: string }> = await manager.query(
          `SELECT DISTINCT sha256 FROM chunk_claims WHERE sha256 = ANY($1) AND claimed_at > now() - interval '${CLAIM_LIFETIME}'`,
          [here],
        );
        const elsewhere = new Set(rows.map((row) => row.sha256));
        return work(here.filter((sha256) => !elsewhere.has(sha256)));
      });
    });
  }

  /** Runs `work` when every earlier claim, release and removal of this process has finished. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work);
    this.turn = result.catch(() => undefined);
    return result;
  }
}

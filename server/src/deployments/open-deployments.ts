import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager, type FindOptionsWhere } from 'typeorm';
import { DEPLOYMENT_STATUSES, TERMINAL_DEPLOYMENT_STATUSES, type DeploymentStatus } from '@rpi-deploy/contracts';
import { Transactions } from '../database/transactions';
import { Deployment } from './deployment.entity';

export const OPEN_STATUSES = DEPLOYMENT_STATUSES.filter((status) => !TERMINAL_DEPLOYMENT_STATUSES.includes(status));

/** Row locks on deployments only (the venue is joined, never written here). */
const LOCKED = { mode: 'pessimistic_write' as const, tables: ['deployments'] };

/**
 * The deployments still running, and the turn every write to deployments and their events must
 * take in this process on SQLite: transactions run one after the other.
 *
 * On SQLite (one process owns the file, see SqliteOwner) the open deployments are kept in memory,
 * loaded once by the first transaction, so a status report is checked, a restarted unit's or a
 * silent deployment is found, without reading the database. Deployments a transaction changed
 * enter the cache only once it has committed, so a rolled-back transaction leaves the cache as
 * the database is.
 *
 * On PostgreSQL several instances may share the database, so nothing is cached: every read
 * takes the rows it will change with `SELECT … FOR UPDATE` (in id order, so two instances never
 * deadlock on one batch), and a report checked against a row locked that way can never move a
 * phase backwards nor miss another instance's write. The group commit (StatusReports) keeps
 * this to one locking SELECT per batch.
 */
@Injectable()
export class OpenDeployments {
  private tail: Promise<unknown> = Promise.resolve();
  private open?: Map<string, Deployment>;
  /** PostgreSQL: the database may be shared by several instances, nothing is cached. */
  readonly shared: boolean;

  constructor(
    private readonly transactions: Transactions,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.shared = transactions.isPostgres;
  }

  /**
   * Runs `work` in a transaction once every earlier one has committed or failed. `work` hands
   * each deployment it changed to `changed`; they replace the cached ones after the commit.
   */
  transaction<T>(work: (manager: EntityManager, changed: (deployment: Deployment) => void) => Promise<T>): Promise<T> {
    // PostgreSQL: no turn to wait for; the row locks keep this process's transactions apart as
    // they keep another instance's (StatusReports still writes one batch at a time).
    if (this.shared) return this.transactions.run((manager) => work(manager, () => undefined));
    const result = this.tail.then(async () => {
      const changes: Deployment[] = [];
      const value = await this.transactions.run(async (manager) => {
        this.open ??= await loadOpen(manager);
        return work(manager, (deployment) => changes.push(deployment));
      });
      for (const deployment of changes) this.remember(deployment);
      return value;
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Copies of the deployments as committed (locked until the transaction ends on PostgreSQL),
   * to change and hand to `changed`; the ids not found are missing from the map. Only inside
   * `transaction`, like the other readers here.
   */
  async current(manager: EntityManager, ids: string[]): Promise<Map<string, Deployment>> {
    const found = new Map<string, Deployment>();
    const missing = this.shared ? [...new Set(ids)].sort() : [];
    for (const id of this.shared ? [] : ids) {
      const cached = this.cache().get(id);
      if (cached) found.set(id, copy(cached));
      else missing.push(id);
    }
    if (missing.length === 0) return found;
    const rows = await manager.find(Deployment, {
      where: { id: In(missing) },
      relations: { venue: true },
      order: { id: 'ASC' },
      ...(this.shared ? { lock: LOCKED } : {}),
    });
    for (const row of rows) found.set(row.id, row);
    return found;
  }

  /**
   * Copies of the open deployments that match `where` (a narrowing the database can use; may be
   * undefined) and `matches`, locked on PostgreSQL. The lock re-reads a row another instance
   * changed meanwhile, so `where` and `matches` see it as committed.
   */
  async openWhere(
    manager: EntityManager,
    where: FindOptionsWhere<Deployment>[] | undefined,
    matches: (deployment: Deployment) => boolean,
  ): Promise<Deployment[]> {
    if (!this.shared) return [...this.cache().values()].filter(matches).map(copy);
    const open = { status: In(OPEN_STATUSES) };
    const rows = await manager.find(Deployment, {
      where: where ? where.map((one) => ({ ...one, ...open })) : open,
      relations: { venue: true },
      order: { id: 'ASC' },
      lock: LOCKED,
    });
    return rows.filter(matches);
  }

  /**
   * Whether `openWhere` could find anything, asked without a transaction or lock. On PostgreSQL
   * a `false` spares a config the transaction of a locking read that would find nothing (every
   * first config of a unit); a `true` is checked again under the lock. SQLite: always `true`
   * (its check reads the cache in the transaction's turn).
   */
  async mayFindOpen(
    where: FindOptionsWhere<Deployment>[],
    matches: (deployment: Deployment) => boolean,
  ): Promise<boolean> {
    if (!this.shared) return true;
    const rows = await this.dataSource.manager.find(Deployment, {
      where: where.map((one) => ({ ...one, status: In(OPEN_STATUSES) })),
    });
    return rows.some(matches);
  }

  /**
   * Two instances configuring the same unit at once would each miss the other's new deployment
   * and leave two open: on PostgreSQL the second waits for the first's commit (key space 3; the
   * hostname assignment uses 1 and 2); so do two configs of one instance. On SQLite configs take turns (ConfigTurns).
   */
  async lockUnit(manager: EntityManager, serial: string): Promise<void> {
    if (this.shared) await manager.query('SELECT pg_advisory_xact_lock(3, hashtext($1))', [serial]);
  }

  /** How many open deployments are in each status, as committed. */
  async countByStatus(): Promise<Map<DeploymentStatus, number>> {
    const counts = new Map<DeploymentStatus, number>();
    if (this.shared) {
      const rows = await this.transactions.run((manager) =>
        manager
          .getRepository(Deployment)
          .createQueryBuilder('d')
          .select('d.status', 'status')
          .addSelect('COUNT(*)', 'count')
          .where({ status: In(OPEN_STATUSES) })
          .groupBy('d.status')
          .getRawMany<{ status: DeploymentStatus; count: string }>(),
      );
      for (const { status, count } of rows) counts.set(status, Number(count));
      return counts;
    }
    // Read outside a transaction's turn: the cache only changes in one synchronous step after each commit.
    // The first transaction loads the cache; a server that has written nothing yet runs an empty one.
    if (!this.open) await this.transaction(async () => undefined);
    for (const { status } of this.cache().values()) counts.set(status, (counts.get(status) ?? 0) + 1);
    return counts;
  }

  /** After a commit: the deployment as the database now holds it. Finished ones leave the cache. */
  private remember(deployment: Deployment): void {
    if (TERMINAL_DEPLOYMENT_STATUSES.includes(deployment.status)) this.cache().delete(deployment.id);
    else this.cache().set(deployment.id, deployment);
  }

  private cache(): Map<string, Deployment> {
    if (!this.open) throw new Error('OpenDeployments: read the open deployments inside transaction()');
    return this.open;
  }
}

async function loadOpen(manager: EntityManager): Promise<Map<string, Deployment>> {
  const open = await manager.find(Deployment, { where: { status: In(OPEN_STATUSES) }, relations: { venue: true } });
  return new Map(open.map((deployment) => [deployment.id, deployment]));
}

function copy(deployment: Deployment): Deployment {
  return Object.assign(new Deployment(), deployment);
}

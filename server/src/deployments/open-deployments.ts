import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { DEPLOYMENT_STATUSES, TERMINAL_DEPLOYMENT_STATUSES, type DeploymentStatus } from '@rpi-deploy/contracts';
import { Transactions } from '../database/transactions';
import { Deployment } from './deployment.entity';

export const OPEN_STATUSES = DEPLOYMENT_STATUSES.filter((status) => !TERMINAL_DEPLOYMENT_STATUSES.includes(status));

/**
 * The deployments still running, kept in memory, and the turn every write to deployments and
 * their events must take: transactions run one after the other, so the in-memory copy of every
 * open deployment (loaded once, by the first transaction) stays exact. A status report is
 * checked against it, a restarted unit's or a silent deployment is found in it, without reading
 * the database. That holds because one server process owns its database (the SQLite file in
 * DATA_DIR, or its PostgreSQL database) and nothing else writes these tables. Deployments a
 * transaction changed enter the cache only once it has committed, before the next one starts,
 * so a rolled-back transaction leaves the cache as the database is. The rows themselves are
 * written by DeploymentRowWriter, inside these transactions.
 */
@Injectable()
export class OpenDeployments {
  private tail: Promise<unknown> = Promise.resolve();
  private open?: Map<string, Deployment>;

  constructor(private readonly transactions: Transactions) {}

  /**
   * Runs `work` in a transaction once every earlier one has committed or failed. `work` hands
   * each deployment it changed to `changed`; they replace the cached ones after the commit.
   */
  transaction<T>(work: (manager: EntityManager, changed: (deployment: Deployment) => void) => Promise<T>): Promise<T> {
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
   * A copy of the deployment as committed, to change and hand to `changed`; undefined when
   * there is none. Finished deployments are read from the database. Only
   * inside `transaction`, like the other readers here, so no other write is in flight.
   */
  async current(manager: EntityManager, id: string): Promise<Deployment | undefined> {
    const cached = this.cache().get(id);
    if (cached) return copy(cached);
    return (await manager.findOne(Deployment, { where: { id }, relations: { venue: true } })) ?? undefined;
  }

  /** Copies of the open deployments that match. */
  openWhere(matches: (deployment: Deployment) => boolean): Deployment[] {
    return [...this.cache().values()].filter(matches).map(copy);
  }

  /** Like openWhere, outside a transaction's turn: none before the first transaction loaded them. */
  committedWhere(matches: (deployment: Deployment) => boolean): Deployment[] {
    return this.open ? this.openWhere(matches) : [];
  }

  /**
   * How many open deployments are in each status, as committed. Read outside a transaction's
   * turn: the cache only changes in one synchronous step after each commit.
   */
  async countByStatus(): Promise<Map<DeploymentStatus, number>> {
    // The first transaction loads the cache; a server that has written nothing yet runs an empty one.
    if (!this.open) await this.transaction(async () => undefined);
    const counts = new Map<DeploymentStatus, number>();
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

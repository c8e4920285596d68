import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { DEPLOYMENT_STATUSES, TERMINAL_DEPLOYMENT_STATUSES } from '@rpi-deploy/contracts';
import { Transactions } from '../database/transactions';
import { Deployment } from './deployment.entity';

const OPEN_STATUSES = DEPLOYMENT_STATUSES.filter((status) => !TERMINAL_DEPLOYMENT_STATUSES.includes(status));

/**
 * Every write to deployments and their events goes through here, one transaction after the
 * other, which keeps an exact in-memory copy of every open deployment (loaded once, by the first
 * write): a status report is checked against it, a restarted unit's or a silent deployment is
 * found in it, without reading the database. That holds because one server process owns its
 * database (the SQLite file in DATA_DIR, or its PostgreSQL database) and nothing else writes
 * these tables. Views a transaction changed enter the cache only once it has committed, before
 * the next write starts, so a rolled-back transaction leaves the cache as the database is.
 */
@Injectable()
export class DeploymentWriter {
  private tail: Promise<unknown> = Promise.resolve();
  private open?: Map<string, Deployment>;

  constructor(private readonly transactions: Transactions) {}

  /**
   * Runs `work` in a transaction once every earlier write has committed or failed. `work` hands
   * each deployment view it changed to `changed`; they replace the cached ones after the commit.
   */
  run<T>(work: (manager: EntityManager, changed: (view: Deployment) => void) => Promise<T>): Promise<T> {
    const result = this.tail.then(async () => {
      const views: Deployment[] = [];
      const value = await this.transactions.run(async (manager) => {
        this.open ??= await loadOpen(manager);
        return work(manager, (view) => views.push(view));
      });
      for (const view of views) this.remember(view);
      return value;
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * A copy of the deployment's committed view, to change and hand to `changed`; undefined when
   * there is none. Finished deployments are read from the database. Only
   * inside `run`, like the other readers here, so no other write is in flight.
   */
  async current(manager: EntityManager, id: string): Promise<Deployment | undefined> {
    const view = this.cache().get(id);
    if (view) return copy(view);
    return (await manager.findOne(Deployment, { where: { id }, relations: { venue: true } })) ?? undefined;
  }

  /** Copies of the open deployments that match. */
  openWhere(matches: (view: Deployment) => boolean): Deployment[] {
    return [...this.cache().values()].filter(matches).map(copy);
  }

  /** After a commit: the view the database now holds. Finished deployments leave the cache. */
  private remember(view: Deployment): void {
    if (TERMINAL_DEPLOYMENT_STATUSES.includes(view.status)) this.cache().delete(view.id);
    else this.cache().set(view.id, view);
  }

  private cache(): Map<string, Deployment> {
    if (!this.open) throw new Error('DeploymentWriter: read the open deployments inside run()');
    return this.open;
  }
}

async function loadOpen(manager: EntityManager): Promise<Map<string, Deployment>> {
  const open = await manager.find(Deployment, { where: { status: In(OPEN_STATUSES) }, relations: { venue: true } });
  return new Map(open.map((view) => [view.id, view]));
}

function copy(view: Deployment): Deployment {
  return Object.assign(new Deployment(), view);
}

import { Injectable, Logger, NotFoundException, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Subscription } from 'rxjs';
import { LessThan, Repository } from 'typeorm';
import {
  DEPLOYMENT_EVENT_PAGING,
  SOCKET_EVENTS,
  TERMINAL_DEPLOYMENT_STATUSES,
  type DeploymentDetailDto,
  type DeploymentDto,
  type DeploymentEventPage,
  type DeploymentEventQuery,
  type DeploymentPage,
  type DeploymentQuery,
  type DeploymentSortKey,
  type DeploymentStats,
} from '@rpi-deploy/contracts';
import { Transactions } from '../database/transactions';
import { ServerAdmission } from '../images/download/server-admission';
import { LiveEvents } from '../live/live-events';
import { DeploymentChanges } from './deployment-changes';
import { toDeploymentDto, toEventDto } from './deployment-dtos';
import { DeploymentEvent } from './deployment-event.entity';
import { computeStats } from './deployment-stats';
import { Deployment } from './deployment.entity';

/** Dashboards get fresh statistics at most once a second, and only when counts changed. */
const STATS_INTERVAL_MS = 1000;
const EXPORT_LIMIT = 100_000;

/** The column behind each sort key of the history (duration is computed, see durationExpression). */
const SORT_COLUMNS: Record<Exclude<DeploymentSortKey, 'duration'>, string> = {
  startedAt: 'd.startedAt',
  hostname: 'd.hostname',
  status: 'd.status',
  venue: 'venue.code',
  product: 'd.product',
};

/**
 * What happened, read back: the history (filtered, sorted, paged), one deployment with its
 * timeline, the statistics, the CSV export. Also pushes fresh statistics to the dashboards
 * when a deployment starts or ends (the counts change only then).
 */
@Injectable()
export class DeploymentHistoryService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Deployments');
  private statsTimer?: NodeJS.Timeout;
  private statsDirty = false;
  private subscription?: Subscription;

  constructor(
    @InjectRepository(Deployment) private readonly deployments: Repository<Deployment>,
    private readonly changes: DeploymentChanges,
    private readonly live: LiveEvents,
    private readonly transactions: Transactions,
    private readonly admission: ServerAdmission,
  ) {}

  private withQueuePosition(view: DeploymentDto): DeploymentDto {
    return { ...view, queuePosition: this.admission.positionOf(view.id) };
  }

  onModuleInit(): void {
    this.subscription = this.changes.changed$.subscribe((view) => {
      if (view.status === 'starting' || TERMINAL_DEPLOYMENT_STATUSES.includes(view.status)) this.statsDirty = true;
    });
    this.statsTimer = setInterval(
      () => void this.publishStats().catch((error) => this.logger.error(error)),
      STATS_INTERVAL_MS,
    );
    this.statsTimer.unref();
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    clearInterval(this.statsTimer);
  }

  async list(query: DeploymentQuery): Promise<DeploymentPage> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 50;
    const sort = query.sort ?? 'startedAt';
    const order = (query.order ?? (sort === 'startedAt' ? 'desc' : 'asc')).toUpperCase() as 'ASC' | 'DESC';
    const builder = this.deployments
      .createQueryBuilder('d')
      .leftJoinAndSelect('d.venue', 'venue')
      .skip((page - 1) * pageSize)
      .take(pageSize);
    if (sort === 'duration') {
      // Running deployments have no duration yet: they come last either way.
      builder.addSelect(this.durationExpression(), 'duration').orderBy('duration', order, 'NULLS LAST');
    } else {
      builder.orderBy(SORT_COLUMNS[sort], order);
    }
    // Ties in a stable order, so paging never repeats or skips a row.
    builder.addOrderBy('d.startedAt', 'DESC').addOrderBy('d.id', 'ASC');
    if (query.status) builder.andWhere('d.status = :status', { status: query.status });
    if (query.product) builder.andWhere('d.product = :product', { product: query.product });
    if (query.venue) builder.andWhere('venue.code = :venue', { venue: query.venue.toUpperCase() });
    if (query.from) builder.andWhere('d.startedAt >= :from', { from: new Date(query.from) });
    if (query.to) builder.andWhere('d.startedAt < :to', { to: new Date(query.to) });
    const [items, total] = await builder.getManyAndCount();
    return { items: items.map((item) => this.withQueuePosition(toDeploymentDto(item))), total, page, pageSize };
  }

  /** Seconds from start to finish (NULL while running), in the database's own date arithmetic. */
  private durationExpression(): string {
    return this.transactions.isPostgres
      ? 'EXTRACT(EPOCH FROM (d.finished_at - d.started_at))'
      : '(julianday(d.finished_at) - julianday(d.started_at)) * 86400';
  }

  /** The deployment with its latest events only: one unit may have sent thousands (see events()). */
  async get(id: string): Promise<DeploymentDetailDto> {
    const deployment = await this.deployments.findOne({ where: { id }, relations: { venue: true } });
    if (!deployment) throw new NotFoundException(`No deployment ${id}`);
    const [latest, eventCount] = await this.deployments.manager.findAndCount(DeploymentEvent, {
      where: { deploymentId: id },
      order: { id: 'DESC' },
      take: DEPLOYMENT_EVENT_PAGING.detail,
    });
    return {
      ...this.withQueuePosition(toDeploymentDto(deployment)),
      events: latest.reverse().map(toEventDto),
      eventCount,
    };
  }

  /** A page of the deployment's timeline: the `limit` events before the event `before` (or the latest). */
  async events(id: string, query: DeploymentEventQuery): Promise<DeploymentEventPage> {
    if (!(await this.deployments.existsBy({ id }))) throw new NotFoundException(`No deployment ${id}`);
    const limit = query.limit ?? DEPLOYMENT_EVENT_PAGING.page;
    // One more than asked tells whether older ones remain.
    const found = await this.deployments.manager.find(DeploymentEvent, {
      where: { deploymentId: id, ...(query.before === undefined ? {} : { id: LessThan(query.before) }) },
      order: { id: 'DESC' },
      take: limit + 1,
    });
    return { items: found.slice(0, limit).reverse().map(toEventDto), hasOlder: found.length > limit };
  }

  async stats(now = new Date()): Promise<DeploymentStats> {
    const since = new Date(now.getTime() - 31 * 86_400_000);
    const rows = await this.deployments
      .createQueryBuilder('d')
      .innerJoin('d.venue', 'venue')
      .select([
        'd.status',
        'd.product',
        'd.startedAt',
        'd.finishedAt',
        'd.bytesTotal',
        'd.bootState',
        'd.bootedAt',
        'd.venueId',
        'venue.code',
      ])
      .where('d.startedAt >= :since', { since })
      .getMany();
    return computeStats(
      rows.map((d) => ({ ...d, venue: d.venue!.code })),
      now,
    );
  }

  /** Every deployment the filters match (no paging), newest first, for the CSV export. */
  async exportRows(query: DeploymentQuery): Promise<DeploymentDto[]> {
    return (await this.list({ ...query, page: 1, pageSize: EXPORT_LIMIT })).items;
  }

  private async publishStats(): Promise<void> {
    if (!this.statsDirty) return;
    this.statsDirty = false;
    this.live.publish(SOCKET_EVENTS.statsUpdated, await this.stats());
  }
}

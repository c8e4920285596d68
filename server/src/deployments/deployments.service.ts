import {
  Injectable,
  Logger,
  NotFoundException,
  OnModuleDestroy,
  OnModuleInit,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import {
  TERMINAL_DEPLOYMENT_STATUSES,
  type ConfigResponse,
  type DeploymentDetailDto,
  type DeploymentDto,
  type DeploymentPage,
  type DeploymentStats,
  type DeploymentStatus,
  SOCKET_EVENTS,
  type DeploymentSortKey,
} from '@rpi-deploy/contracts';
import { AppConfig } from '../config/app-config';
import { Transactions } from '../database/transactions';
import { HostnamesService } from '../hostnames/hostnames.service';
import { VenuesService } from '../hostnames/venues/venues.service';
import { ImagesService } from '../images/images.service';
import { DeploymentEvent } from './deployment-event.entity';
import { DeploymentLog } from './deployment-log';
import { DeploymentUpdates } from './deployment-updates';
import { DeploymentWriter } from './deployment-writer';
import { Deployment } from './deployment.entity';
import type { ConfigBody, StatusBody } from './dto/installer.dto';
import type { DeploymentQuery } from './dto/deployment-query.dto';
import { toDeploymentDto, toEventDto } from './deployment-views';
import { computeStats } from './deployment-stats';
import { ConfigTurns } from './config-turns';
import { LiveEvents } from '../live/live-events';
import { DeploymentListener } from '../listeners/deployment-listener';
import { DeploymentRows, type NewEvent } from './deployment-rows';
import { StatusReports } from './status-reports';
import { newStatusToken } from './status-token';

const SILENCE_CHECK_MS = 15_000;
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

@Injectable()
export class DeploymentsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Deployments');
  private readonly configTurns = new ConfigTurns();
  private silenceTimer?: NodeJS.Timeout;
  private statsTimer?: NodeJS.Timeout;
  private statsDirty = false;

  constructor(
    @InjectRepository(Deployment) private readonly deployments: Repository<Deployment>,
    private readonly hostnames: HostnamesService,
    private readonly venues: VenuesService,
    private readonly images: ImagesService,
    private readonly writer: DeploymentWriter,
    private readonly reports: StatusReports,
    private readonly rows: DeploymentRows,
    private readonly log: DeploymentLog,
    private readonly updates: DeploymentUpdates,
    private readonly config: AppConfig,
    private readonly live: LiveEvents,
    private readonly listener: DeploymentListener,
    private readonly transactions: Transactions,
  ) {}

  onModuleInit(): void {
    const every = Math.min(SILENCE_CHECK_MS, this.config.deployments.silenceTimeoutSeconds * 500);
    this.silenceTimer = setInterval(() => void this.failSilent().catch((error) => this.logger.error(error)), every);
    this.silenceTimer.unref();
    this.statsTimer = setInterval(
      () => void this.publishStats().catch((error) => this.logger.error(error)),
      STATS_INTERVAL_MS,
    );
    this.statsTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.silenceTimer);
    clearInterval(this.statsTimer);
  }

  async stats(now = new Date()): Promise<DeploymentStats> {
    const since = new Date(now.getTime() - 31 * 86_400_000);
    const rows = await this.deployments
      .createQueryBuilder('d')
      .innerJoin('d.venue', 'venue')
      .select(['d.status', 'd.product', 'd.startedAt', 'd.finishedAt', 'd.bytesTotal', 'd.venueId', 'venue.code'])
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

  /** `POST /api/config`: hostname, image and a new deployment for a unit. */
  configure(body: ConfigBody, ip: string | null): Promise<ConfigResponse> {
    return this.configTurns.take(() => this.configureNow(body, ip));
  }

  private async configureNow(body: ConfigBody, ip: string | null): Promise<ConfigResponse> {
    // Refuse before assigning when the product is known and has nothing to install.
    const named = body.product ? await this.images.active(body.product) : null;
    if (body.product && !named) throw noImage(body.product);
    const assignment = await this.hostnames.assign(body);
    const image = named?.product === assignment.product ? named : await this.images.active(assignment.product);
    if (!image) throw noImage(assignment.product);

    const { token, hash } = newStatusToken();
    const now = new Date();
    const serial = assignment.deviceSerial!;
    const { deployment, superseded } = await this.writer.run(async (manager, changed) => {
      const venue = await this.venues.find(manager, assignment.venue);
      const superseded = this.writer.openWhere((view) => view.serial === serial);
      for (const old of superseded) {
        ended(old, 'restarted', 'the unit asked for a new configuration (it restarted)', now);
      }
      await this.rows.write(manager, superseded, superseded.map(failureEvent));
      const created = Object.assign(new Deployment(), {
        id: randomUUID(),
        tokenHash: hash,
        status: 'starting',
        hostname: assignment.hostname,
        product: assignment.product,
        venueId: venue.id,
        venue,
        serial,
        mac: assignment.deviceMac!,
        ip,
        model: body.model ?? null,
        storageBytes: body.storageBytes ?? null,
        imageId: image.id,
        imageVersion: image.version,
        progress: 0,
        bytesDone: null,
        bytesTotal: null,
        downloadBps: null,
        writeBps: null,
        verifyBps: null,
        message: `${assignment.reused ? 'kept' : 'assigned'} ${assignment.hostname}, image ${image.version}`,
        error: null,
        startedAt: now,
        lastReportAt: now,
        finishedAt: null,
      } satisfies Deployment);
      // The first event goes in with the deployment: there is never one without the other.
      await this.rows.create(manager, created, {
        deploymentId: created.id,
        status: 'starting',
        progress: 0,
        bytesDone: null,
        bytesTotal: null,
        message: created.message,
        error: null,
        createdAt: now,
      });
      [...superseded, created].forEach((view) => changed(view));
      return { deployment: created, superseded };
    });
    // Announced only now that they are committed.
    for (const old of superseded) this.announce(toDeploymentDto(old), 'failed', old.error, now);
    this.announce(toDeploymentDto(deployment), 'starting', deployment.message, now);
    const base = this.listener.publicUrl();
    return {
      deploymentId: deployment.id,
      statusToken: token,
      hostname: deployment.hostname,
      product: deployment.product,
      venue: assignment.venue,
      image: {
        id: image.id,
        version: image.version,
        url: `${base}/images/${image.filename}`,
        size: image.size,
        sha256: image.sha256,
        bmapUrl: `${base}/images/${image.filename}.bmap`,
        compression: 'none',
        transferSize: image.size,
      },
    };
  }

  /** `POST /api/status`: one report of the installer holding the deployment's token. */
  async report(body: StatusBody, token: string | undefined, ip: string | null): Promise<void> {
    if (!token)
      throw new UnauthorizedException('Send the statusToken from /api/config as Authorization: Bearer <token>');
    const { view, at } = await this.reports.submit(body, token, ip);
    this.announce(view, body.status, body.message ?? body.error ?? null, at);
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
    return { items: items.map(toDeploymentDto), total, page, pageSize };
  }

  /** Seconds from start to finish (NULL while running), in the database's own date arithmetic. */
  private durationExpression(): string {
    return this.transactions.isPostgres
      ? 'EXTRACT(EPOCH FROM (d.finished_at - d.started_at))'
      : '(julianday(d.finished_at) - julianday(d.started_at)) * 86400';
  }

  async get(id: string): Promise<DeploymentDetailDto> {
    const deployment = await this.deployments.findOne({ where: { id }, relations: { venue: true } });
    if (!deployment) throw new NotFoundException(`No deployment ${id}`);
    const events = await this.deployments.manager.find(DeploymentEvent, {
      where: { deploymentId: id },
      order: { id: 'ASC' },
    });
    return { ...toDeploymentDto(deployment), events: events.map(toEventDto) };
  }

  /** Marks deployments without a report for the configured time as failed ("no report"). */
  async failSilent(now = new Date()): Promise<number> {
    const timeout = this.config.deployments.silenceTimeoutSeconds;
    const cutoff = now.getTime() - timeout * 1000;
    // In the writer's turn every accepted report is in its cache: nothing newer is in flight.
    const silent = await this.writer.run(async (manager, changed) => {
      const found = this.writer.openWhere((view) => view.lastReportAt.getTime() < cutoff);
      for (const view of found) ended(view, 'no report', `no report for ${timeout} s`, now);
      await this.rows.write(manager, found, found.map(failureEvent));
      found.forEach((view) => changed(view));
      return found;
    });
    for (const view of silent) this.announce(toDeploymentDto(view), 'failed', view.error, now);
    return silent.length;
  }

  private announce(view: DeploymentDto, status: DeploymentStatus, message: string | null, at: Date): void {
    this.updates.queue(view);
    if (status === 'starting' || TERMINAL_DEPLOYMENT_STATUSES.includes(status)) this.statsDirty = true;
    this.log.append({ at, ip: view.ip, hostname: view.hostname, serial: view.serial, status, message });
  }
}

/** The server ends a deployment: a restarted unit, or silence. */
function ended(view: Deployment, message: string, error: string, at: Date): void {
  Object.assign(view, { status: 'failed', message, error, finishedAt: at, lastReportAt: at });
}

function failureEvent(view: Deployment): NewEvent {
  return {
    deploymentId: view.id,
    status: 'failed',
    progress: null,
    bytesDone: null,
    bytesTotal: null,
    message: view.message,
    error: view.error,
    createdAt: view.lastReportAt,
  };
}

function noImage(product: string): ServiceUnavailableException {
  return new ServiceUnavailableException(`No active ${product} image: upload one and activate it`);
}

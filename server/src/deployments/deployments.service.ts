import {
  ConflictException,
  ForbiddenException,
  Injectable,
  Logger,
  NotFoundException,
  OnModuleDestroy,
  OnModuleInit,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { In, LessThan, Not, Repository, type EntityManager } from 'typeorm';
import {
  isAllowedTransition,
  TERMINAL_DEPLOYMENT_STATUSES,
  type ConfigResponse,
  type DeploymentDetailDto,
  type DeploymentDto,
  type DeploymentPage,
  type DeploymentStats,
  type DeploymentStatus,
  SOCKET_EVENTS,
} from '@rpi-deploy/contracts';
import { AppConfig } from '../config/app-config';
import { Transactions } from '../database/transactions';
import { HostnamesService } from '../hostnames/hostnames.service';
import { Venue } from '../hostnames/venue.entity';
import { VenuesService } from '../hostnames/venues.service';
import { ImagesService } from '../images/images.service';
import { DeploymentEvent } from './deployment-event.entity';
import { DeploymentLog } from './deployment-log';
import { DeploymentUpdates } from './deployment-updates';
import { Deployment } from './deployment.entity';
import type { ConfigBody, StatusBody } from './dto/installer.dto';
import type { DeploymentQuery } from './dto/deployment-query.dto';
import { toDeploymentDto, toEventDto } from './deployment-views';
import { computeStats } from './deployment-stats';
import { LiveEvents } from '../live/live-events';
import { DeploymentListener } from '../listeners/deployment-listener';

const OPEN_STATUSES: DeploymentStatus[] = ['starting', 'downloading', 'verifying', 'customizing'];
const SILENCE_CHECK_MS = 15_000;
/** Dashboards get fresh statistics at most once a second, and only when counts changed. */
const STATS_INTERVAL_MS = 1000;
const EXPORT_LIMIT = 100_000;

@Injectable()
export class DeploymentsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Deployments');
  private silenceTimer?: NodeJS.Timeout;
  private statsTimer?: NodeJS.Timeout;
  private statsDirty = false;

  constructor(
    @InjectRepository(Deployment) private readonly deployments: Repository<Deployment>,
    private readonly hostnames: HostnamesService,
    private readonly venues: VenuesService,
    private readonly images: ImagesService,
    private readonly transactions: Transactions,
    private readonly log: DeploymentLog,
    private readonly updates: DeploymentUpdates,
    private readonly config: AppConfig,
    private readonly live: LiveEvents,
    private readonly listener: DeploymentListener,
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
  async configure(body: ConfigBody, ip: string | null): Promise<ConfigResponse> {
    // Refuse before assigning when the product is known and has nothing to install.
    if (body.product && !(await this.images.active(body.product))) throw noImage(body.product);
    const assignment = await this.hostnames.assign(body);
    const image = await this.images.active(assignment.product);
    if (!image) throw noImage(assignment.product);

    const token = randomBytes(32).toString('base64url');
    const now = new Date();
    const deployment = await this.transactions.run(async (manager) => {
      const venue = await this.venues.find(manager, assignment.venue);
      await this.supersede(manager, assignment.deviceSerial!, now);
      const created = await manager.save(
        manager.create(Deployment, {
          id: randomUUID(),
          tokenHash: sha256(token),
          status: 'starting',
          hostname: assignment.hostname,
          product: assignment.product,
          venueId: venue.id,
          venue,
          serial: assignment.deviceSerial!,
          mac: assignment.deviceMac!,
          ip,
          model: body.model ?? null,
          storageBytes: body.storageBytes ?? null,
          imageId: image.id,
          imageVersion: image.version,
          progress: 0,
          message: `${assignment.reused ? 'kept' : 'assigned'} ${assignment.hostname}, image ${image.version}`,
          startedAt: now,
          lastReportAt: now,
        }),
      );
      // The first event goes in with the deployment: there is never one without the other.
      await manager.insert(DeploymentEvent, {
        deploymentId: created.id,
        status: 'starting',
        message: created.message,
        progress: 0,
        createdAt: now,
      });
      return created;
    });
    this.afterChange(deployment, 'starting', deployment.message, now);
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
    const now = new Date();
    const deployment = await this.transactions.run(async (manager) => {
      // PostgreSQL locks the row (no join: FOR UPDATE refuses outer joins); SQLite needs no lock.
      const current = await manager.findOne(Deployment, {
        where: { id: body.deploymentId },
        ...(this.transactions.isPostgres
          ? { lock: { mode: 'pessimistic_write' as const } }
          : { relations: { venue: true } }),
      });
      if (!current) throw new NotFoundException(`No deployment ${body.deploymentId}: ask /api/config again`);
      current.venue ??= await manager.findOneByOrFail(Venue, { id: current.venueId });
      if (!tokenMatches(token, current.tokenHash))
        throw new ForbiddenException('This token belongs to another deployment');
      if (!isAllowedTransition(current.status, body.status)) {
        throw new ConflictException(
          TERMINAL_DEPLOYMENT_STATUSES.includes(current.status)
            ? `Deployment ${current.id} has ended (${current.status}): a new /api/config starts a new one`
            : `Cannot go from ${current.status} back to ${body.status}`,
        );
      }
      await manager.update(Deployment, { id: current.id }, applyReport(current, body, now, ip));
      await manager.insert(DeploymentEvent, eventOf(current.id, body, now));
      return current;
    });
    this.afterChange(deployment, body.status, body.message ?? body.error ?? null, now);
  }

  async list(query: DeploymentQuery): Promise<DeploymentPage> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 50;
    const builder = this.deployments
      .createQueryBuilder('d')
      .leftJoinAndSelect('d.venue', 'venue')
      .orderBy('d.startedAt', 'DESC')
      .addOrderBy('d.id', 'ASC')
      .skip((page - 1) * pageSize)
      .take(pageSize);
    if (query.status) builder.andWhere('d.status = :status', { status: query.status });
    if (query.product) builder.andWhere('d.product = :product', { product: query.product });
    if (query.venue) builder.andWhere('venue.code = :venue', { venue: query.venue.toUpperCase() });
    if (query.from) builder.andWhere('d.startedAt >= :from', { from: new Date(query.from) });
    if (query.to) builder.andWhere('d.startedAt < :to', { to: new Date(query.to) });
    const [items, total] = await builder.getManyAndCount();
    return { items: items.map(toDeploymentDto), total, page, pageSize };
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
    const cutoff = new Date(now.getTime() - this.config.deployments.silenceTimeoutSeconds * 1000);
    const silent = await this.deployments.find({
      where: { status: In(OPEN_STATUSES), lastReportAt: LessThan(cutoff) },
      relations: { venue: true },
    });
    for (const deployment of silent) {
      const changed = await this.transactions.run(async (manager) => {
        const fresh = await manager.findOneBy(Deployment, {
          id: deployment.id,
          status: In(OPEN_STATUSES),
          lastReportAt: LessThan(cutoff),
        });
        if (!fresh) return false;
        await this.fail(
          manager,
          deployment,
          'no report',
          `no report for ${this.config.deployments.silenceTimeoutSeconds} s`,
          now,
        );
        return true;
      });
      if (changed) this.afterChange(deployment, 'failed', deployment.error, now);
    }
    return silent.length;
  }

  /** A unit that asks for config again has restarted: its open deployment has ended. */
  private async supersede(manager: EntityManager, serial: string, now: Date): Promise<void> {
    const open = await manager.find(Deployment, {
      where: { serial, status: Not(In([...TERMINAL_DEPLOYMENT_STATUSES])) },
      relations: { venue: true },
    });
    for (const deployment of open) {
      await this.fail(manager, deployment, 'restarted', 'the unit asked for a new configuration (it restarted)', now);
      this.afterChange(deployment, 'failed', deployment.error, now);
    }
  }

  private async fail(
    manager: EntityManager,
    deployment: Deployment,
    message: string,
    error: string,
    now: Date,
  ): Promise<void> {
    Object.assign(deployment, { status: 'failed', message, error, finishedAt: now, lastReportAt: now });
    await manager.update(
      Deployment,
      { id: deployment.id },
      { status: 'failed', message, error, finishedAt: now, lastReportAt: now },
    );
    await manager.insert(DeploymentEvent, {
      deploymentId: deployment.id,
      status: 'failed',
      message,
      error,
      createdAt: now,
    });
  }

  private afterChange(deployment: Deployment, status: DeploymentStatus, message: string | null, at: Date): void {
    this.updates.queue(toDeploymentDto(deployment));
    if (status === 'starting' || TERMINAL_DEPLOYMENT_STATUSES.includes(status)) this.statsDirty = true;
    this.log.append({
      at,
      ip: deployment.ip,
      hostname: deployment.hostname,
      serial: deployment.serial,
      status,
      message,
    });
  }
}

/** Applies a report to the deployment's current view; returns the columns that change. */
function applyReport(deployment: Deployment, body: StatusBody, now: Date, ip: string | null): Partial<Deployment> {
  const changes: Partial<Deployment> = { status: body.status, lastReportAt: now };
  if (body.progress !== undefined) changes.progress = Math.round(body.progress);
  if (body.status === 'success') changes.progress = 100;
  if (body.bytesDone !== undefined) changes.bytesDone = body.bytesDone;
  if (body.bytesTotal !== undefined) changes.bytesTotal = body.bytesTotal;
  if (body.throughput?.download !== undefined) changes.downloadBps = Math.round(body.throughput.download);
  if (body.throughput?.write !== undefined) changes.writeBps = Math.round(body.throughput.write);
  if (body.throughput?.verify !== undefined) changes.verifyBps = Math.round(body.throughput.verify);
  if (body.message !== undefined) changes.message = body.message;
  if (body.error !== undefined) changes.error = body.error;
  if (ip) changes.ip = ip;
  if (TERMINAL_DEPLOYMENT_STATUSES.includes(body.status)) changes.finishedAt = now;
  Object.assign(deployment, changes);
  return changes;
}

function eventOf(deploymentId: string, body: StatusBody, at: Date): Partial<DeploymentEvent> {
  return {
    deploymentId,
    status: body.status,
    progress: body.progress === undefined ? null : Math.round(body.progress),
    bytesDone: body.bytesDone ?? null,
    bytesTotal: body.bytesTotal ?? null,
    message: body.message ?? null,
    error: body.error ?? null,
    createdAt: at,
  };
}

function noImage(product: string): ServiceUnavailableException {
  return new ServiceUnavailableException(`No active ${product} image: upload one and activate it`);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function tokenMatches(token: string, hash: string): boolean {
  return timingSafeEqual(Buffer.from(sha256(token), 'hex'), Buffer.from(hash, 'hex'));
}

import {
  ConflictException,
  Injectable,
  Logger,
  OnModuleDestroy,
  OnModuleInit,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Subscription } from 'rxjs';
import { LessThan, type EntityManager } from 'typeorm';
import type { ConfigResponse } from '@rpi-deploy/contracts';
import { AppConfig } from '../config/app-config';
import { runsJobHere } from '../database/cluster-job';
import { HostnamesService } from '../hostnames/hostnames.service';
import { VenuesService } from '../hostnames/venues/venues.service';
import { CanaryService } from '../images/canary/canary.service';
import { ServerAdmission } from '../images/download/server-admission';
import { ImagesService } from '../images/images.service';
import { DeploymentListener } from '../listeners/deployment-listener';
import { ConfigTurns } from './config-turns';
import { DeploymentChanges, type DeploymentTransition } from './deployment-changes';
import { toDeploymentDto } from './deployment-dtos';
import { DeploymentLog } from './deployment-log';
import { DeploymentRowWriter, type NewEvent } from './deployment-row-writer';
import { DeploymentUpdates } from './deployment-updates';
import { Deployment } from './deployment.entity';
import { BootConfirmations, refuseMixedReport } from './boot-confirmations.service';
import type { BootedReportBody, ConfigBody, InstallReportBody, StatusBody } from './dto/installer.dto';
import { OpenDeployments } from './open-deployments';
import { StatusReports } from './status-reports';
import { newStatusToken } from './status-token';

const SILENCE_CHECK_MS = 15_000;
/**
 * Configs one PostgreSQL instance runs at once: enough to keep a burst (a thousand units in
 * 5 s) from queueing behind each config's round trips (some twenty, each a wait for the
 * database's turn on a busy machine), few enough to leave the pool (30 connections, see
 * typeorm-options) room for status reports and the other requests.
 */
const POSTGRES_CONFIGS_AT_ONCE = 16;

/**
 * A deployment from start to end, as the installer drives it: `/api/config` starts one (and
 * ends the unit's previous one, or is refused when another device claims an open one's serial
 * or MAC), `/api/status` reports move it on, and the server fails those that fall silent. Every
 * committed change is announced to the dashboards (DeploymentUpdates), to the rest of the
 * server (DeploymentChanges) and to the deployment log.
 */
@Injectable()
export class DeploymentLifecycleService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Deployments');
  private readonly configTurns: ConfigTurns;
  private silenceTimer?: NodeJS.Timeout;
  private queueWatch?: Subscription;
  /** The queue positions last sent to the dashboards, by deployment id. */
  private queueShown = new Map<string, number>();

  constructor(
    private readonly hostnames: HostnamesService,
    private readonly venues: VenuesService,
    private readonly images: ImagesService,
    private readonly open: OpenDeployments,
    private readonly reports: StatusReports,
    private readonly rows: DeploymentRowWriter,
    private readonly log: DeploymentLog,
    private readonly updates: DeploymentUpdates,
    private readonly changes: DeploymentChanges,
    private readonly config: AppConfig,
    private readonly listener: DeploymentListener,
    private readonly boots: BootConfirmations,
    private readonly canaries: CanaryService,
    private readonly admission: ServerAdmission,
  ) {
    this.configTurns = new ConfigTurns(open.shared ? POSTGRES_CONFIGS_AT_ONCE : 1);
  }

  onModuleInit(): void {
    const every = Math.min(SILENCE_CHECK_MS, this.config.deployments.silenceTimeoutSeconds * 500);
    this.silenceTimer = setInterval(() => void this.failSilent().catch((error) => this.logger.error(error)), every);
    this.silenceTimer.unref();
    this.queueWatch = this.admission.changed$.subscribe(() => this.showQueuePositions());
  }

  onModuleDestroy(): void {
    clearInterval(this.silenceTimer);
    this.queueWatch?.unsubscribe();
  }

  /** The dashboards see a unit's place in line change live (DeploymentUpdates adds it to the view). */
  private showQueuePositions(): void {
    const shown = this.queueShown;
    const ids = [...new Set([...shown.keys(), ...this.admission.waitingUnits()])];
    this.queueShown = new Map();
    if (ids.length === 0) return;
    // Read as committed (another instance may hold the row): units still starting or downloading only.
    this.open
      .transaction((manager) => this.open.current(manager, ids))
      .then((found) => {
        for (const deployment of found.values()) {
          if (deployment.status !== 'starting' && deployment.status !== 'downloading') continue;
          const position = this.admission.positionOf(deployment.id);
          if (position !== null) this.queueShown.set(deployment.id, position);
          if ((shown.get(deployment.id) ?? null) !== position) this.updates.queue(toDeploymentDto(deployment));
        }
      })
      .catch((error: Error) => this.logger.warn(`Queue positions not sent: ${error.message}`));
  }

  /** `POST /api/config`: hostname, image and a new deployment for a unit. */
  configure(body: ConfigBody, ip: string | null): Promise<ConfigResponse> {
    return this.configTurns.take(() => this.configureNow(body, ip));
  }

  private async configureNow(body: ConfigBody, ip: string | null): Promise<ConfigResponse> {
    // The deployment records what the requester sent, not the identity of the hostname it gets.
    const serial = body.serial.toLowerCase();
    const mac = body.mac.toLowerCase();
    await this.refuseImpersonation(serial, mac, ip);
    // Refuse before assigning when the product is known and has nothing to install.
    const named = body.product ? await this.images.active(body.product) : null;
    if (body.product && !named) throw noImage(body.product);
    const assignment = await this.hostnames.assign(body);
    const active = named?.product === assignment.product ? named : await this.images.active(assignment.product);
    if (!active) throw noImage(assignment.product);
    // A running canary of the product may take this unit (named, or one of its next N).
    const image = (await this.canaries.imageFor(assignment.product, serial)) ?? active;

    const { token, hash } = newStatusToken();
    const now = new Date();
    const { deployment, superseded } = await this.open.transaction(async (manager, changed) => {
      await this.open.lockUnit(manager, serial);
      const venue = await this.venues.find(manager, assignment.venue);
      // Only the same device (serial and MAC) is left: refuseImpersonation turned the others away.
      const superseded = await this.open.openWhere(
        manager,
        [{ serial, mac }],
        (running) => running.serial === serial && running.mac === mac,
      );
      const previous = new Map(superseded.map((old) => [old.id, old.status]));
      for (const old of superseded) {
        ended(old, 'restarted', 'the unit asked for a new configuration (it restarted)', now);
      }
      await this.rows.update(manager, superseded, superseded.map(failureEvent));
      const batchId =
        assignment.batchId ?? (assignment.reused ? await earlierBatch(manager, assignment.hostname, serial) : null);
      const created = Object.assign(new Deployment(), {
        id: randomUUID(),
        tokenHash: hash,
        status: 'starting',
        hostname: assignment.hostname,
        product: assignment.product,
        venueId: venue.id,
        venue,
        serial,
        mac,
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
        bytesFetched: null,
        bytesWritten: null,
        chunksReused: null,
        chunksTotal: null,
        bytesFromPeers: null,
        message: `${assignment.reused ? 'kept' : 'assigned'} ${assignment.hostname}, image ${image.version}`,
        error: null,
        startedAt: now,
        lastReportAt: now,
        finishedAt: null,
        impersonationSerial: null,
        impersonationMac: null,
        impersonationIp: null,
        impersonationAt: null,
        batchId,
        failureCode: null,
        bootState: null,
        bootedAt: null,
        bootHostname: null,
        bootMachineId: null,
        bootImageVersion: null,
        bootKernel: null,
        bootAddress: null,
      } satisfies Deployment);
      // The first event goes in with the deployment: there is never one without the other.
      await this.rows.insert(manager, created, {
        deploymentId: created.id,
        kind: 'status',
        status: 'starting',
        progress: 0,
        bytesDone: null,
        bytesTotal: null,
        message: created.message,
        error: null,
        createdAt: now,
      });
      [...superseded, created].forEach((one) => changed(one));
      return { deployment: created, superseded: superseded.map((old) => ({ old, previous: previous.get(old.id)! })) };
    });
    // Announced only now that they are committed.
    for (const { old, previous } of superseded) {
      this.announce({ view: toDeploymentDto(old), previous, cause: 'restarted' }, old.error, now);
    }
    this.announce({ view: toDeploymentDto(deployment), previous: null }, deployment.message, now);
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
        // Images stored before the chunk store have none: their Pis download the old way.
        ...(image.chunkCount === null ? {} : { manifestUrl: `${base}/images/${image.filename}.chunks` }),
      },
    };
  }

  /**
   * Another device on the deployment network can send any serial. A request that matches an
   * open deployment by serial or by MAC but not by both is not that unit restarting: it is
   * refused (409) before anything is assigned, and the open deployment keeps running untouched
   * except for a warning naming the requester (on the deployment and in its timeline). A board
   * really swapped gets its configuration once the open deployment has ended.
   */
  private async refuseImpersonation(serial: string, mac: string, ip: string | null): Promise<void> {
    const at = new Date();
    const where = [{ serial }, { mac }];
    const claims = (running: Deployment) => (running.serial === serial) !== (running.mac === mac);
    if (!(await this.open.mayFindOpen(where, claims))) return;
    const claimed = await this.open.transaction(async (manager, changed) => {
      const found = await this.open.openWhere(manager, where, claims);
      for (const deployment of found) {
        Object.assign(deployment, {
          impersonationSerial: serial,
          impersonationMac: mac,
          impersonationIp: ip,
          impersonationAt: at,
        });
      }
      await this.rows.update(manager, found, found.map(impersonationEvent));
      found.forEach((deployment) => changed(deployment));
      return found;
    });
    if (claimed.length === 0) return;
    for (const deployment of claimed) {
      this.logger.warn(`${impersonationMessage(deployment)} (deployment ${deployment.id}, ${deployment.hostname})`);
      // Not a transition: the victim's deployment keeps its phase, only its warning is new.
      const view = toDeploymentDto(deployment);
      this.announce({ view, previous: view.status }, impersonationMessage(deployment), at);
    }
    const timeout = this.config.deployments.silenceTimeoutSeconds;
    throw new ConflictException(
      `Serial ${serial} / MAC ${mac}: a deployment for this unit is running on a device with another ` +
        `${claimed[0].serial === serial ? 'MAC' : 'serial'}; refused, and the operators are warned. A replaced ` +
        `board gets its configuration once that deployment has ended (it fails after ${timeout} s without a report).`,
    );
  }

  /**
   * `POST /api/status`: one report of the installer holding the deployment's token, or the
   * product's first boot confirming it (`booted`, see BootConfirmations).
   */
  async report(body: StatusBody, token: string | undefined, ip: string | null): Promise<void> {
    if (!token)
      throw new UnauthorizedException('Send the statusToken from /api/config as Authorization: Bearer <token>');
    refuseMixedReport(body);
    if (body.status === 'booted') return this.boots.confirm(body as BootedReportBody, token, ip);
    const { view, previous, at } = await this.reports.submit(body as InstallReportBody, token, ip);
    const cause = body.status === 'failed' ? 'installer' : undefined;
    this.announce({ view, previous, cause }, body.message ?? body.error ?? null, at);
  }

  /** Marks deployments without a report for the configured time as failed ("no report"). */
  async failSilent(now = new Date()): Promise<number> {
    const timeout = this.config.deployments.silenceTimeoutSeconds;
    const cutoff = now.getTime() - timeout * 1000;
    // In a transaction's turn every accepted report is in the cache (SQLite), or the rows are
    // locked and re-read (PostgreSQL): a unit that reported to another instance is not silent.
    const silent = await this.open.transaction(async (manager, changed) => {
      if (!(await runsJobHere(manager, 'silence'))) return [];
      const found = await this.open.openWhere(
        manager,
        [{ lastReportAt: LessThan(new Date(cutoff)) }],
        (running) => running.lastReportAt.getTime() < cutoff,
      );
      const previous = found.map((deployment) => deployment.status);
      for (const deployment of found) ended(deployment, 'no report', `no report for ${timeout} s`, now);
      await this.rows.update(manager, found, found.map(failureEvent));
      found.forEach((deployment) => changed(deployment));
      return found.map((deployment, i) => ({ deployment, previous: previous[i] }));
    });
    for (const { deployment, previous } of silent) {
      this.announce({ view: toDeploymentDto(deployment), previous, cause: 'no_report' }, deployment.error, now);
    }
    return silent.length;
  }

  private announce(change: DeploymentTransition, message: string | null, at: Date): void {
    const { view } = change;
    // A unit past its download (or ended) gives its server slot to the next in line.
    if (view.status === 'starting' || view.status === 'downloading') this.admission.touch(view.id);
    else this.admission.release(view.id);
    this.updates.queue(view);
    this.changes.announce(change);
    this.log.append({ at, ip: view.ip, hostname: view.hostname, serial: view.serial, status: view.status, message });
  }
}

/** The server ends a deployment: a restarted unit, or silence. */
function ended(deployment: Deployment, message: string, error: string, at: Date): void {
  Object.assign(deployment, { status: 'failed', message, error, finishedAt: at, lastReportAt: at });
}

function failureEvent(deployment: Deployment): NewEvent {
  return {
    deploymentId: deployment.id,
    kind: 'status',
    status: 'failed',
    progress: null,
    bytesDone: null,
    bytesTotal: null,
    message: deployment.message,
    error: deployment.error,
    createdAt: deployment.lastReportAt,
  };
}

function impersonationMessage(deployment: Deployment): string {
  const { impersonationSerial: serial, impersonationMac: mac, impersonationIp: ip } = deployment;
  return `another device (serial ${serial}, MAC ${mac}, IP ${ip ?? 'unknown'}) asked for this unit's configuration: refused`;
}

/** The timeline entry of a refused impersonation; the deployment's status does not change. */
function impersonationEvent(deployment: Deployment): NewEvent {
  return {
    deploymentId: deployment.id,
    kind: 'impersonation',
    status: deployment.status,
    progress: null,
    bytesDone: null,
    bytesTotal: null,
    message: impersonationMessage(deployment),
    error: null,
    createdAt: deployment.impersonationAt!,
  };
}

function noImage(product: string): ServiceUnavailableException {
  return new ServiceUnavailableException(`No active ${product} image: upload one and activate it`);
}

/**
 * A unit that asks again keeps its hostname, and with it the batch it was handed out through
 * (the assignment counts towards a batch only the first time): the batch of its latest deployment.
 */
async function earlierBatch(manager: EntityManager, hostname: string, serial: string): Promise<number | null> {
  const latest = await manager.getRepository(Deployment).findOne({
    select: { id: true, batchId: true },
    where: { hostname, serial },
    order: { startedAt: 'DESC' },
  });
  return latest?.batchId ?? null;
}

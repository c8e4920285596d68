import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  allowedNextStatuses,
  isAllowedTransition,
  TERMINAL_DEPLOYMENT_STATUSES,
  type DeploymentDto,
  type DeploymentStatus,
} from '@rpi-deploy/contracts';
import { toDeploymentDto } from './deployment-dtos';
import { DeploymentProbes } from './deployment-probes';
import { DeploymentRowWriter, type NewEvent } from './deployment-row-writer';
import type { Deployment } from './deployment.entity';
import type { InstallReportBody } from './dto/installer.dto';
import { OpenDeployments } from './open-deployments';
import { tokenMatches } from './status-token';

/** A report accepted and committed: the deployment's view right after it, its status before, and when it came. */
export interface StoredReport {
  view: DeploymentDto;
  previous: DeploymentStatus;
  at: Date;
}

interface Pending {
  body: InstallReportBody;
  token: string;
  ip: string | null;
  at: Date;
  resolve(stored: StoredReport): void;
  reject(error: unknown): void;
}

/**
 * `POST /api/status` with group commit: the reports that arrive while the previous write is in
 * flight are stored together in ONE transaction, and each is answered only after that commit,
 * so an acknowledged report is durable. Under load this turns hundreds of small transactions a
 * second into a few larger ones. Each report is checked, in arrival order, against the deployment
 * as the reports before it left it (from OpenDeployments: no SELECT on SQLite, one locking SELECT per
 * batch on PostgreSQL); a refused one (403, 404, 409)
 * is answered at once and writes nothing.
 */
@Injectable()
export class StatusReports {
  private pending: Pending[] = [];
  /** The batch being written (writeBatch never rejects). */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly open: OpenDeployments,
    private readonly rows: DeploymentRowWriter,
    private readonly probes: DeploymentProbes,
  ) {}

  submit(body: InstallReportBody, token: string, ip: string | null): Promise<StoredReport> {
    return new Promise((resolve, reject) => {
      this.pending.push({ body, token, ip, at: new Date(), resolve, reject });
      // The first report of a batch queues its write; the reports of the same event-loop turn join it.
      // One batch is written at a time: those arriving meanwhile wait for the next.
      if (this.pending.length === 1) {
        setImmediate(() => (this.writing = this.writing.then(() => this.writeBatch())));
      }
    });
  }

  private async writeBatch(): Promise<void> {
    let batch: Pending[] | undefined;
    const take = () => {
      batch = this.pending;
      this.pending = [];
      return batch;
    };
    try {
      let began = 0;
      const accepted = await this.open.transaction((manager, changed) => {
        began = performance.now();
        return this.store(manager, take(), changed);
      });
      this.probes.statusCommitted({ reports: accepted.length, seconds: (performance.now() - began) / 1000 });
      for (const { report, view, previous } of accepted) report.resolve({ view, previous, at: report.at });
    } catch (error) {
      // Nothing of the batch was committed: every report in it fails (500) and may be sent again.
      for (const report of batch ?? take()) report.reject(error);
    }
  }

  private async store(manager: EntityManager, batch: Pending[], changed: (deployment: Deployment) => void) {
    // One read (and on PostgreSQL one lock) for the whole batch.
    const deployments = await this.open.current(
      manager,
      batch.map((report) => report.body.deploymentId),
    );
    const events: NewEvent[] = [];
    const touched = new Set<Deployment>();
    const accepted: Array<{ report: Pending; view: DeploymentDto; previous: DeploymentStatus }> = [];
    for (const report of batch) {
      const { deploymentId: id } = report.body;
      try {
        const deployment = deployments.get(id);
        refuseIfNotAllowed(deployment, report);
        const previous = deployment.status;
        applyReport(deployment, report);
        touched.add(deployment);
        events.push(eventOf(report));
        accepted.push({ report, view: toDeploymentDto(deployment), previous });
      } catch (error) {
        report.reject(error);
      }
    }
    await this.rows.update(manager, [...touched], events);
    for (const deployment of touched) changed(deployment);
    return accepted;
  }
}

function refuseIfNotAllowed(
  deployment: Deployment | undefined,
  { body, token }: Pending,
): asserts deployment is Deployment {
  if (!deployment) throw new NotFoundException(`No deployment ${body.deploymentId}: ask /api/config again`);
  if (!tokenMatches(token, deployment.tokenHash))
    throw new ForbiddenException('This token belongs to another deployment');
  if (!isAllowedTransition(deployment.status, body.status)) {
    throw new ConflictException(
      TERMINAL_DEPLOYMENT_STATUSES.includes(deployment.status)
        ? `Deployment ${deployment.id} has ended (${deployment.status}): a new /api/config starts a new one`
        : `Cannot go from ${deployment.status} to ${body.status}: from ${deployment.status} a unit may report ` +
            `${allowedNextStatuses(deployment.status).join(', ')} (phases come in order, none skipped)`,
    );
  }
}

/** Applies a report to the deployment. */
function applyReport(deployment: Deployment, { body, at, ip }: Pending): void {
  deployment.status = body.status;
  deployment.lastReportAt = at;
  if (body.progress !== undefined) deployment.progress = Math.round(body.progress);
  if (body.status === 'success') {
    deployment.progress = 100;
    // From now on the deployment waits for its unit's first boot to confirm (BootConfirmations).
    deployment.bootState = 'waiting';
  }
  if (body.bytesDone !== undefined) deployment.bytesDone = body.bytesDone;
  if (body.bytesTotal !== undefined) deployment.bytesTotal = body.bytesTotal;
  if (body.throughput?.download !== undefined) deployment.downloadBps = Math.round(body.throughput.download);
  if (body.throughput?.write !== undefined) deployment.writeBps = Math.round(body.throughput.write);
  if (body.throughput?.verify !== undefined) deployment.verifyBps = Math.round(body.throughput.verify);
  if (body.sources) {
    // Running totals while downloading; the final `transfer` below overwrites them.
    deployment.bytesFetched = body.sources.fromServer + body.sources.fromPeers;
    deployment.bytesFromPeers = body.sources.fromPeers;
  }
  if (body.transfer) {
    deployment.bytesFetched = body.transfer.bytesFetched;
    deployment.bytesWritten = body.transfer.bytesWritten;
    deployment.chunksReused = body.transfer.chunksReused ?? null;
    deployment.chunksTotal = body.transfer.chunksTotal ?? null;
    deployment.bytesFromPeers = body.transfer.bytesFromPeers ?? null;
  }
  if (body.message !== undefined) deployment.message = body.message;
  if (body.error !== undefined) deployment.error = body.error;
  if (body.status === 'failed') deployment.failureCode = body.failureCode ?? null;
  if (ip) deployment.ip = ip;
  if (TERMINAL_DEPLOYMENT_STATUSES.includes(body.status)) deployment.finishedAt = at;
}

function eventOf({ body, at }: Pending): NewEvent {
  return {
    deploymentId: body.deploymentId,
    kind: 'status',
    status: body.status,
    progress: body.progress === undefined ? null : Math.round(body.progress),
    bytesDone: body.bytesDone ?? null,
    bytesTotal: body.bytesTotal ?? null,
    message: body.message ?? null,
    error: body.error ?? null,
    createdAt: at,
  };
}

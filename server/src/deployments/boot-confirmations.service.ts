import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  Logger,
  NotFoundException,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { LessThan } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { runsJobHere } from '../database/cluster-job';
import { DeploymentChanges, type DeploymentTransition } from './deployment-changes';
import { hostnameMismatch, toDeploymentDto } from './deployment-dtos';
import { DeploymentLog } from './deployment-log';
import { DeploymentRowWriter, type NewEvent } from './deployment-row-writer';
import { DeploymentUpdates } from './deployment-updates';
import { Deployment } from './deployment.entity';
import type { BootedReportBody, StatusBody } from './dto/installer.dto';
import { OpenDeployments } from './open-deployments';
import { tokenMatches } from './status-token';

const CHECK_MS = 15_000;

/** What only an installer's report carries; a boot confirmation carrying one is refused. */
const INSTALL_FIELDS = ['progress', 'bytesDone', 'bytesTotal', 'throughput', 'transfer', 'error'] as const;
/** What only a boot confirmation carries. */
const BOOT_FIELDS = ['hostname', 'machineId', 'imageVersion', 'kernel', 'address'] as const;

/**
 * The first boot after a successful install: the unit's one-shot confirmation (`booted`, once,
 * with the deployment's token), and the periodic check that marks a deployment `unconfirmed`
 * when none came within BOOT_CONFIRM_TIMEOUT_SECONDS of its success. The deployment keeps its
 * status `success` either way; its `boot` changes, goes out live and into its timeline.
 */
@Injectable()
export class BootConfirmations implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Deployments');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly open: OpenDeployments,
    private readonly rows: DeploymentRowWriter,
    private readonly log: DeploymentLog,
    private readonly updates: DeploymentUpdates,
    private readonly changes: DeploymentChanges,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const every = Math.min(CHECK_MS, this.config.deployments.bootConfirmTimeoutSeconds * 500);
    this.timer = setInterval(() => void this.markUnconfirmed().catch((error) => this.logger.error(error)), every);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** `POST /api/status` with `booted`: the token was checked present by the caller. */
  async confirm(body: BootedReportBody, token: string, ip: string | null): Promise<void> {
    const at = new Date();
    const deployment = await this.open.transaction(async (manager, changed) => {
      const found = (await this.open.current(manager, [body.deploymentId])).get(body.deploymentId);
      if (!found) throw new NotFoundException(`No deployment ${body.deploymentId}: check the id written on the card`);
      if (!tokenMatches(token, found.tokenHash))
        throw new ForbiddenException('This token belongs to another deployment');
      refuseUnlessWaiting(found);
      Object.assign(found, {
        bootState: 'booted',
        bootedAt: at,
        bootHostname: body.hostname ?? null,
        bootMachineId: body.machineId ?? null,
        bootImageVersion: body.imageVersion ?? null,
        bootKernel: body.kernel ?? null,
        bootAddress: body.address ?? null,
      } satisfies Partial<Deployment>);
      await this.rows.update(manager, [found], [bootedEvent(found, body.message)]);
      changed(found);
      return found;
    });
    const warning = hostnameMismatch(deployment);
    if (warning) this.logger.warn(`${warning} (deployment ${deployment.id})`);
    this.announce({ view: toDeploymentDto(deployment), previous: 'success', boot: 'booted' }, ip, at);
  }

  /** Marks successful deployments without a boot confirmation for the configured time `unconfirmed`. */
  async markUnconfirmed(now = new Date()): Promise<number> {
    const timeout = this.config.deployments.bootConfirmTimeoutSeconds;
    const cutoff = new Date(now.getTime() - timeout * 1000);
    const late = await this.open.transaction(async (manager, changed) => {
      if (!(await runsJobHere(manager, 'boot-confirmation'))) return [];
      const found = await manager.find(Deployment, {
        where: { bootState: 'waiting', finishedAt: LessThan(cutoff) },
        relations: { venue: true },
        // Another instance may mark the same ones: the lock re-reads them, so each is marked once.
        ...(this.open.shared ? { lock: { mode: 'pessimistic_write', tables: ['deployments'] } } : {}),
      });
      for (const deployment of found) deployment.bootState = 'unconfirmed';
      await this.rows.update(
        manager,
        found,
        found.map((deployment) => unconfirmedEvent(deployment, timeout, now)),
      );
      found.forEach((deployment) => changed(deployment));
      return found;
    });
    for (const deployment of late) {
      this.announce({ view: toDeploymentDto(deployment), previous: 'success', boot: 'unconfirmed' }, null, now);
    }
    return late.length;
  }

  private announce(change: DeploymentTransition, ip: string | null, at: Date): void {
    const { view } = change;
    this.updates.queue(view);
    this.changes.announce(change);
    const said =
      change.boot === 'booted' ? bootedMessage(view.boot?.hostname ?? null, view.boot?.address ?? null) : null;
    this.log.append({
      at,
      ip: ip ?? view.ip,
      hostname: view.hostname,
      serial: view.serial,
      status: change.boot === 'booted' ? 'booted' : 'boot_unconfirmed',
      message: said,
    });
  }
}

/**
 * A status report mixing the two kinds (install fields with `booted`, or what a booted unit says
 * with an install phase) is refused whole: it is a client bug, better seen than half stored.
 */
export function refuseMixedReport(body: StatusBody): void {
  const booted = body.status === 'booted';
  const misplaced = (booted ? INSTALL_FIELDS : BOOT_FIELDS).filter((field) => body[field] !== undefined);
  if (misplaced.length === 0) return;
  throw new BadRequestException(
    booted
      ? `A booted report carries only hostname, machineId, imageVersion, kernel, address and message; leave out ${misplaced.join(', ')}`
      : `${misplaced.join(', ')} belong to a booted report only; leave them out of ${body.status}`,
  );
}

function refuseUnlessWaiting(deployment: Deployment): void {
  if (deployment.bootState === 'booted') {
    throw new ConflictException(
      `Deployment ${deployment.id} already confirmed its boot at ${deployment.bootedAt!.toISOString()}: nothing to do`,
    );
  }
  if (deployment.status !== 'success' || deployment.bootState === null) {
    const why =
      deployment.status === 'success'
        ? 'it succeeded before boot confirmation existed'
        : deployment.status === 'failed'
          ? 'it failed'
          : `it is still ${deployment.status}`;
    throw new ConflictException(
      `Deployment ${deployment.id} cannot confirm a boot: ${why}; only a successful install confirms its first boot`,
    );
  }
}

function bootedMessage(hostname: string | null, address: string | null): string {
  return `booted${hostname ? ` as ${hostname}` : ''}${address ? ` at ${address}` : ''}`;
}

function bootedEvent(deployment: Deployment, message: string | undefined): NewEvent {
  const facts = [
    deployment.bootImageVersion && `image ${deployment.bootImageVersion}`,
    deployment.bootKernel && `kernel ${deployment.bootKernel}`,
    deployment.bootMachineId && `machine-id ${deployment.bootMachineId}`,
  ].filter(Boolean);
  const summary = [bootedMessage(deployment.bootHostname, deployment.bootAddress), ...facts].join(', ');
  return {
    deploymentId: deployment.id,
    kind: 'booted',
    status: deployment.status,
    progress: null,
    bytesDone: null,
    bytesTotal: null,
    message: (message ? `${summary}: ${message}` : summary).slice(0, 500),
    error: hostnameMismatch(deployment),
    createdAt: deployment.bootedAt!,
  };
}

function unconfirmedEvent(deployment: Deployment, timeout: number, at: Date): NewEvent {
  return {
    deploymentId: deployment.id,
    kind: 'boot_unconfirmed',
    status: deployment.status,
    progress: null,
    bytesDone: null,
    bytesTotal: null,
    message: `no boot confirmation ${timeout} s after success: check the unit boots into the product`,
    error: null,
    createdAt: at,
  };
}

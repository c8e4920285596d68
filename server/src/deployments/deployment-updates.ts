import { Injectable, OnModuleDestroy } from '@nestjs/common';
import {
  SOCKET_EVENTS,
  TERMINAL_DEPLOYMENT_STATUSES,
  type DeploymentDto,
  type DeploymentsUpdatedEvent,
} from '@rpi-deploy/contracts';
import { ServerAdmission } from '../images/download/server-admission';
import { LiveEvents } from '../live/live-events';
import { TickBatch } from '../live/tick-batch';

/**
 * Live deployment updates for the dashboards. A unit may report many times a second; once per
 * tick the dashboards get ONE `deployments.updated` carrying the latest view of every deployment
 * that changed in it, which the browser applies as it comes. A final status (success, failed)
 * goes out at once in a batch of its own and replaces any view of the same deployment still
 * waiting, so it is never delayed nor overtaken by an older view. Each view also goes out as
 * `deployment.updated`, one per event, for outside clients that listen to that. Never blocks a
 * request.
 */
@Injectable()
export class DeploymentUpdates implements OnModuleDestroy {
  private readonly batch = new TickBatch<DeploymentDto>(
    (view) => view.id,
    (views) => this.publish(views),
  );

  constructor(
    private readonly live: LiveEvents,
    private readonly admission: ServerAdmission,
  ) {}

  queue(view: DeploymentDto): void {
    view = { ...view, queuePosition: this.admission.positionOf(view.id) };
    if (TERMINAL_DEPLOYMENT_STATUSES.includes(view.status)) this.batch.sendNow(view);
    else this.batch.add(view);
  }

  onModuleDestroy(): void {
    this.batch.close();
  }

  private publish(views: DeploymentsUpdatedEvent): void {
    for (const view of views) this.live.publish(SOCKET_EVENTS.deploymentUpdated, view);
    this.live.publish(SOCKET_EVENTS.deploymentsUpdated, views);
  }
}

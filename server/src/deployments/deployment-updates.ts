import { Injectable, OnModuleDestroy } from '@nestjs/common';
import {
  SOCKET_EVENTS,
  TERMINAL_DEPLOYMENT_STATUSES,
  type DeploymentDto,
  type DeploymentsUpdatedEvent,
} from '@rpi-deploy/contracts';
import { LiveEvents } from '../live/live-events';

/** The dashboards get news of deployments at most this often: the one throttle on the way. */
const TICK_MS = 250;

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
  private readonly pending = new Map<string, DeploymentDto>();
  private readonly timer = setInterval(() => this.flush(), TICK_MS);

  constructor(private readonly live: LiveEvents) {
    this.timer.unref();
  }

  queue(view: DeploymentDto): void {
    if (TERMINAL_DEPLOYMENT_STATUSES.includes(view.status)) {
      this.pending.delete(view.id);
      this.publish([view]);
      return;
    }
    this.pending.set(view.id, view);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private flush(): void {
    if (this.pending.size === 0) return;
    const views = [...this.pending.values()];
    this.pending.clear();
    this.publish(views);
  }

  private publish(views: DeploymentsUpdatedEvent): void {
    for (const view of views) this.live.publish(SOCKET_EVENTS.deploymentUpdated, view);
    this.live.publish(SOCKET_EVENTS.deploymentsUpdated, views);
  }
}

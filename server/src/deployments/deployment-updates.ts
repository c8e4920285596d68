import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { SOCKET_EVENTS, TERMINAL_DEPLOYMENT_STATUSES, type DeploymentDto } from '@rpi-deploy/contracts';
import { LiveEvents } from '../live/live-events';

/** At most this many updates per second per deployment reach the dashboards. */
const FLUSH_INTERVAL_MS = 250;

/**
 * Coalesces `deployment.updated`: a unit may report many times a second, dashboards get its
 * latest view at most every 250 ms; a final status goes out at once. Never blocks a request.
 */
@Injectable()
export class DeploymentUpdates implements OnModuleDestroy {
  private readonly pending = new Map<string, DeploymentDto>();
  private readonly timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);

  constructor(private readonly live: LiveEvents) {
    this.timer.unref();
  }

  queue(view: DeploymentDto): void {
    if (TERMINAL_DEPLOYMENT_STATUSES.includes(view.status)) {
      this.pending.delete(view.id);
      this.live.publish(SOCKET_EVENTS.deploymentUpdated, view);
      return;
    }
    this.pending.set(view.id, view);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private flush(): void {
    for (const view of this.pending.values()) this.live.publish(SOCKET_EVENTS.deploymentUpdated, view);
    this.pending.clear();
  }
}

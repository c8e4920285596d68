import { Injectable } from '@nestjs/common';
import { map, Subject, type Observable } from 'rxjs';
import type { DeploymentDto, DeploymentStatus } from '@rpi-deploy/contracts';

/** What ended a failed deployment: the installer's report, silence, or the unit asking for a new configuration. */
export const FAILURE_CAUSES = ['installer', 'no_report', 'restarted'] as const;
export type FailureCause = (typeof FAILURE_CAUSES)[number];

/** A committed change of a deployment: its view now and the status it had before (null: it is new). */
export interface DeploymentTransition {
  view: DeploymentDto;
  previous: DeploymentStatus | null;
  /** Set when the change is a failure. */
  cause?: FailureCause;
  /** Set when the change is about the first boot: its confirmation, or the server giving up waiting for it. */
  boot?: 'booted' | 'unconfirmed';
}

/**
 * The server's own channel for deployment changes (a new deployment, an accepted report, one the
 * server ended), each as its view the moment it is committed, unthrottled. Other parts of the
 * server (statistics, netboot, metrics) subscribe here rather than to the dashboards' socket
 * stream, which is throttled and shaped for the browser.
 */
@Injectable()
export class DeploymentChanges {
  private readonly changes = new Subject<DeploymentTransition>();

  /** Each change with the status before it, for those that count phases and outcomes. */
  readonly transitions$: Observable<DeploymentTransition> = this.changes.asObservable();

  readonly changed$: Observable<DeploymentDto> = this.transitions$.pipe(map((change) => change.view));

  announce(change: DeploymentTransition): void {
    this.changes.next(change);
  }
}

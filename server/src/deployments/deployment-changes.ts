import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { DeploymentDto } from '@rpi-deploy/contracts';

/**
 * The server's own channel for deployment changes (a new deployment, an accepted report, one the
 * server ended), each as its view the moment it is committed, unthrottled. Other parts of the
 * server (statistics, netboot) subscribe here rather than to the dashboards' socket stream,
 * which is throttled and shaped for the browser.
 */
@Injectable()
export class DeploymentChanges {
  private readonly changes = new Subject<DeploymentDto>();

  readonly changed$: Observable<DeploymentDto> = this.changes.asObservable();

  announce(view: DeploymentDto): void {
    this.changes.next(view);
  }
}

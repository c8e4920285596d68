import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { DeploymentStatus } from '@rpi-deploy/contracts';
import { OpenDeployments } from './open-deployments';

/** One group commit of status reports: how many it stored and how long writing and committing took. */
export interface StatusCommit {
  reports: number;
  seconds: number;
}

/**
 * What Deployments lets an observer (the metrics module) measure without knowing it: the group
 * commits of status reports as they happen, and how many open deployments are in each phase.
 */
@Injectable()
export class DeploymentProbes {
  private readonly commits = new Subject<StatusCommit>();

  readonly statusCommits$: Observable<StatusCommit> = this.commits.asObservable();

  constructor(private readonly open: OpenDeployments) {}

  statusCommitted(commit: StatusCommit): void {
    this.commits.next(commit);
  }

  openByStatus(): Promise<Map<DeploymentStatus, number>> {
    return this.open.countByStatus();
  }
}

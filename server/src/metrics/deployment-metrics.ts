import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Subscription } from 'rxjs';
import { DEPLOYMENT_STATUSES, TERMINAL_DEPLOYMENT_STATUSES, type DeploymentStatus } from '@rpi-deploy/contracts';
import { DeploymentChanges, FAILURE_CAUSES, type DeploymentTransition } from '../deployments/deployment-changes';
import { DeploymentProbes, type StatusCommit } from '../deployments/deployment-probes';
import { MetricsService } from './metrics.service';

const PHASES = DEPLOYMENT_STATUSES.filter((status) => !TERMINAL_DEPLOYMENT_STATUSES.includes(status));

/** Seconds: a phase takes from a blink (starting) to an hour (downloading a large image over a slow link). */
const PHASE_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];
/** Seconds: one fsync on a good disk to a PostgreSQL round trip under load. */
const COMMIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500];

/**
 * Deployment figures, from Deployments' own channels: units in each phase (read at scrape time
 * from the open deployments), installs started and ended, how long each phase took, and the
 * group commits of status reports.
 */
@Injectable()
export class DeploymentMetrics implements OnModuleDestroy {
  private readonly started: Counter;
  private readonly succeeded: Counter;
  private readonly failed: Counter<'cause' | 'phase'>;
  private readonly boots: Counter<'outcome'>;
  private readonly phaseSeconds: Histogram<'phase'>;
  private readonly commitSeconds: Histogram;
  private readonly commitReports: Histogram;
  /** When each open deployment entered its phase (ms), as far as this process saw it. */
  private readonly phaseSince = new Map<string, { phase: DeploymentStatus; since: number }>();
  private readonly subscriptions: Subscription[];

  constructor(metrics: MetricsService, changes: DeploymentChanges, probes: DeploymentProbes) {
    const registers = [metrics.registry];
    new Gauge({
      name: 'rpi_deploy_units',
      help: 'Deployments in progress, by the phase they are in',
      labelNames: ['status'],
      registers,
      async collect() {
        const counts = await probes.openByStatus();
        for (const status of PHASES) this.set({ status }, counts.get(status) ?? 0);
      },
    });
    this.started = new Counter({
      name: 'rpi_deploy_installs_started_total',
      help: 'Deployments started (POST /api/config)',
      registers,
    });
    this.succeeded = new Counter({
      name: 'rpi_deploy_installs_succeeded_total',
      help: 'Deployments that reported success',
      registers,
    });
    this.failed = new Counter({
      name: 'rpi_deploy_installs_failed_total',
      help: 'Deployments that failed, by cause (installer, no_report, restarted) and the phase they were in',
      labelNames: ['cause', 'phase'],
      registers,
    });
    // Every series exists from the start, so rate() and increase() see the first failure.
    for (const cause of FAILURE_CAUSES) for (const phase of PHASES) this.failed.inc({ cause, phase }, 0);
    this.boots = new Counter({
      name: 'rpi_deploy_boots_total',
      help: 'First boots after a successful install: confirmed by the unit (booted), or not within the timeout (unconfirmed)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['booted', 'unconfirmed']) this.boots.inc({ outcome }, 0);
    this.phaseSeconds = new Histogram({
      name: 'rpi_deploy_phase_duration_seconds',
      help: 'How long deployments spent in each phase, observed when they left it',
      labelNames: ['phase'],
      buckets: PHASE_BUCKETS,
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'rpi_deploy_status_commit_duration_seconds',
      help: 'Database write latency: writing and committing one group commit of status reports',
      buckets: COMMIT_BUCKETS,
      registers,
    });
    this.commitReports = new Histogram({
      name: 'rpi_deploy_status_commit_reports',
      help: 'Status reports stored by one group commit',
      buckets: BATCH_BUCKETS,
      registers,
    });
    this.subscriptions = [
      changes.transitions$.subscribe((change) => this.count(change)),
      probes.statusCommits$.subscribe((commit) => this.committed(commit)),
    ];
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }

  private count({ view, previous, cause, boot }: DeploymentTransition): void {
    if (boot) this.boots.inc({ outcome: boot });
    if (view.status === previous) return; // progress within a phase, or the first boot
    const at = Date.parse(view.lastReportAt);
    if (previous === null) this.started.inc();
    const entered = this.phaseSince.get(view.id);
    if (entered) this.phaseSeconds.observe({ phase: entered.phase }, Math.max(0, at - entered.since) / 1000);
    if (view.status === 'success') this.succeeded.inc();
    if (view.status === 'failed' && previous !== null)
      this.failed.inc({ cause: cause ?? 'installer', phase: previous });
    if (TERMINAL_DEPLOYMENT_STATUSES.includes(view.status)) this.phaseSince.delete(view.id);
    // A deployment already open when the process started has no known entry into its phase.
    else
      this.phaseSince.set(view.id, { phase: view.status, since: previous === null ? Date.parse(view.startedAt) : at });
  }

  private committed({ reports, seconds }: StatusCommit): void {
    this.commitSeconds.observe(seconds);
    this.commitReports.observe(reports);
  }
}

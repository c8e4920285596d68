import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import {
  SOCKET_EVENTS,
  TERMINAL_DEPLOYMENT_STATUSES,
  TRAFFIC_SAMPLING,
  type DeploymentDto,
  type TrafficSample,
} from '@rpi-deploy/contracts';
import { LiveEvents } from '../live/live-events';
import { DeploymentChanges } from './deployment-changes';

interface Totals {
  server: number;
  peers: number;
}

/**
 * Sums what the units moved into intervals. Each unit reports running totals by source, so a
 * report adds what the unit moved since its previous one. A unit first seen with totals that
 * started before this counter did (the server restarted mid-install) only sets its baseline:
 * its earlier bytes belong to intervals this process never held.
 */
export class TrafficCounter {
  private readonly seen = new Map<string, Totals>();
  private interval: Totals = { server: 0, peers: 0 };
  private intervalStart: number;
  private readonly samples: TrafficSample[] = [];

  constructor(
    private readonly started: number,
    private readonly keep: number = TRAFFIC_SAMPLING.historySamples,
  ) {
    this.intervalStart = started;
  }

  add(view: Pick<DeploymentDto, 'id' | 'status' | 'startedAt' | 'bytesFromServer' | 'bytesFromPeers'>): void {
    const { id, bytesFromServer, bytesFromPeers } = view;
    if (bytesFromServer !== null && bytesFromPeers !== null) {
      const now = { server: bytesFromServer, peers: bytesFromPeers };
      const before = this.seen.get(id) ?? (Date.parse(view.startedAt) >= this.started ? { server: 0, peers: 0 } : now);
      // Totals only grow; a smaller one (a restarted download counts afresh) adds nothing.
      this.interval.server += Math.max(0, now.server - before.server);
      this.interval.peers += Math.max(0, now.peers - before.peers);
      this.seen.set(id, now);
    }
    if (TERMINAL_DEPLOYMENT_STATUSES.includes(view.status)) this.seen.delete(id);
  }

  /** Closes the current interval at `at` and returns it as a sample. */
  sample(at: number): TrafficSample {
    const sample: TrafficSample = {
      at: new Date(at).toISOString(),
      seconds: Math.max(0, (at - this.intervalStart) / 1000),
      serverBytes: this.interval.server,
      peerBytes: this.interval.peers,
    };
    this.interval = { server: 0, peers: 0 };
    this.intervalStart = at;
    this.samples.push(sample);
    if (this.samples.length > this.keep) this.samples.shift();
    return sample;
  }

  /** The kept samples, oldest first. */
  history(): TrafficSample[] {
    return [...this.samples];
  }
}

/**
 * The fleet's traffic for the Statistics page: every TRAFFIC_SAMPLING.seconds one TrafficSample
 * goes out live (`traffic.sampled`) and into the history `GET /api/deployments/traffic` returns.
 * In memory on purpose: it is a recent picture, not a record (the deployments hold each unit's totals).
 */
@Injectable()
export class TrafficSamples implements OnModuleDestroy {
  private readonly counter = new TrafficCounter(Date.now());
  private readonly subscription: Subscription;
  private readonly timer: NodeJS.Timeout;

  constructor(changes: DeploymentChanges, live: LiveEvents) {
    this.subscription = changes.changed$.subscribe((view) => this.counter.add(view));
    this.timer = setInterval(
      () => live.publish(SOCKET_EVENTS.trafficSampled, this.counter.sample(Date.now())),
      TRAFFIC_SAMPLING.seconds * 1000,
    );
    this.timer.unref();
  }

  history(): TrafficSample[] {
    return this.counter.history();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.subscription.unsubscribe();
  }
}

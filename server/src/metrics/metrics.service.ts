import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The server's Prometheus registry: prom-client's default process metrics (CPU, memory, event
 * loop lag, garbage collection) plus what the metrics of each domain register on it. One
 * registry per application, not prom-client's global one, so two servers in one process (the
 * tests) count apart.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}

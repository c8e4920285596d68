import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Histogram } from 'prom-client';
import { listenerOf } from '../listeners/request-listener';
import { MetricsService } from './metrics.service';

type Labels = 'method' | 'route' | 'status' | 'listener';

/**
 * Times every request that reaches Nest's routes, labelled by the route's pattern
 * (`/api/deployments/:id`), never the raw URL, so the series stay few. Requests no route
 * matched share the route `unmatched`. Measured until the response closes, which also covers
 * bodies handed to a download worker.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  private readonly durations: Histogram<Labels>;
  /** Children by label values: resolving labels on every report costs more than a map lookup. */
  private readonly children = new Map<string, Histogram.Internal<Labels>>();

  constructor(metrics: MetricsService) {
    this.durations = new Histogram({
      name: 'rpi_deploy_http_request_duration_seconds',
      help: 'HTTP request latency by method, route pattern, status code and listener',
      labelNames: ['method', 'route', 'status', 'listener'],
      registers: [metrics.registry],
    });
  }

  use(request: Request, response: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    response.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.child(request, response).observe(seconds);
    });
    next();
  }

  private child(request: Request, response: Response): Histogram.Internal<Labels> {
    const route = typeof request.route?.path === 'string' ? request.route.path : 'unmatched';
    const status = String(response.statusCode);
    const listener = listenerOf(request);
    const key = `${request.method} ${route} ${status} ${listener}`;
    let child = this.children.get(key);
    if (!child) {
      child = this.durations.labels({ method: request.method, route, status, listener });
      this.children.set(key, child);
    }
    return child;
  }
}

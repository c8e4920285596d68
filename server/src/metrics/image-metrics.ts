import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { filter, type Subscription } from 'rxjs';
import { SOCKET_EVENTS, type ImageProgressEvent } from '@rpi-deploy/contracts';
import { ImageTraffic, SERVED_KINDS } from '../images/download/image-traffic';
import { LiveEvents } from '../live/live-events';
import { MetricsService } from './metrics.service';

/**
 * Image figures: the bytes the deployment listener sent (image files, block maps, chunks) and
 * the uploads in progress. Uploads are followed through their `image.progress` events (at most
 * two a second each), which already carry what a scrape needs.
 */
@Injectable()
export class ImageMetrics implements OnModuleDestroy {
  private readonly uploads = new Map<string, ImageProgressEvent>();
  private readonly subscriptions: Subscription[];

  constructor(metrics: MetricsService, traffic: ImageTraffic, live: LiveEvents) {
    const registers = [metrics.registry];
    const served = new Counter({
      name: 'rpi_deploy_served_bytes_total',
      help: 'Body bytes the deployment listener sent to the Pis, by kind (image, block_map, chunk) and source',
      labelNames: ['kind', 'source'],
      registers,
    });
    // The server is the one source for now; units serving chunks to their neighbours will be another.
    for (const kind of SERVED_KINDS) served.inc({ kind, source: 'server' }, 0);
    const uploads = this.uploads;
    new Gauge({
      name: 'rpi_deploy_uploads_in_progress',
      help: 'Image uploads being received',
      registers,
      collect() {
        this.set(uploads.size);
      },
    });
    new Gauge({
      name: 'rpi_deploy_upload_received_bytes',
      help: 'Bytes received so far of the uploads in progress (0 when none)',
      registers,
      collect() {
        this.set(sum(uploads, (upload) => upload.receivedBytes));
      },
    });
    new Gauge({
      name: 'rpi_deploy_upload_expected_bytes',
      help: 'Declared size (Content-Length) of the uploads in progress (0 when none or undeclared)',
      registers,
      collect() {
        this.set(sum(uploads, (upload) => upload.totalBytes ?? 0));
      },
    });
    this.subscriptions = [
      traffic.served$.subscribe(({ kind, bytes }) => served.inc({ kind, source: 'server' }, bytes)),
      live.stream
        .pipe(filter((event) => event.name === SOCKET_EVENTS.imageProgress))
        .subscribe(({ payload }) => this.follow(payload as ImageProgressEvent)),
    ];
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }

  private follow(progress: ImageProgressEvent): void {
    if (progress.stage === 'receiving') this.uploads.set(progress.uploadId, progress);
    else this.uploads.delete(progress.uploadId);
  }
}

function sum<T>(items: Map<string, T>, value: (item: T) => number): number {
  let total = 0;
  for (const item of items.values()) total += value(item);
  return total;
}

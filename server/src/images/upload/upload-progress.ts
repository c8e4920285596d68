import { randomUUID } from 'node:crypto';
import { SOCKET_EVENTS, type ImageProgressEvent } from '@rpi-deploy/contracts';
import type { LiveEvents } from '../../live/live-events';
import type { ImageUploadFieldsBody } from '../dto/image.dto';

/** How far an upload has come, as the upload pipeline reports it (on every chunk). */
export interface UploadProgress {
  receivedBytes: number;
  imageBytes: number;
  /** Known once the text fields have been checked. */
  fields?: ImageUploadFieldsBody;
}

/** How often dashboards hear about an upload in progress, at most. */
const PROGRESS_INTERVAL_MS = 500;

/**
 * Tells the dashboards about one upload (`image.progress`): `receiving` with the latest figures
 * at most every 500 ms however often the pipeline reports, then `stored` or `failed` once.
 * Nothing is published after that, so a dashboard never sees an upload come back.
 */
export class UploadProgressAnnouncer {
  private readonly uploadId = randomUUID();
  private latest: UploadProgress = { receivedBytes: 0, imageBytes: 0 };
  private lastPublished = 0;
  private pending?: NodeJS.Timeout;
  private finished = false;

  constructor(
    private readonly live: LiveEvents,
    private readonly uploadedBy: string,
    /** The request's Content-Length, if it declared one. */
    private readonly totalBytes: number | null,
  ) {}

  /** The upload pipeline's progress callback. */
  readonly report = (progress: UploadProgress): void => {
    if (this.finished) return;
    this.latest = progress;
    if (this.pending) return;
    const wait = this.lastPublished + PROGRESS_INTERVAL_MS - Date.now();
    if (wait <= 0) return this.publish('receiving');
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.publish('receiving');
    }, wait);
  };

  stored(): void {
    this.finish('stored');
  }

  failed(error: string): void {
    this.finish('failed', error);
  }

  private finish(stage: ImageProgressEvent['stage'], error?: string): void {
    this.finished = true;
    clearTimeout(this.pending);
    this.publish(stage, error);
  }

  private publish(stage: ImageProgressEvent['stage'], error?: string): void {
    this.lastPublished = Date.now();
    const event: ImageProgressEvent = {
      uploadId: this.uploadId,
      product: this.latest.fields?.product ?? null,
      version: this.latest.fields?.version ?? null,
      uploadedBy: this.uploadedBy,
      stage,
      receivedBytes: this.latest.receivedBytes,
      totalBytes: this.totalBytes,
      imageBytes: this.latest.imageBytes,
      ...(error ? { error } : {}),
    };
    this.live.publish(SOCKET_EVENTS.imageProgress, event);
  }
}

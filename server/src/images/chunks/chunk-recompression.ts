import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { formatBytes, SOCKET_EVENTS, type ImageRecompressionDto } from '@rpi-deploy/contracts';
import { AppConfig } from '../../config/app-config';
import { runJobAlone } from '../../database/cluster-job';
import { LiveEvents } from '../../live/live-events';
import { ChunkCatalogue } from './chunk-catalogue';
import { ChunkStore } from './chunk-store';

/** How often dashboards hear about a running recompression, at most (as for conversions). */
const PROGRESS_INTERVAL_MS = 500;
/** How often every instance looks for chunks still below the store's level (another one stopped, say). */
const SWEEP_MS = 5 * 60_000;

/**
 * Brings chunks stored at a fast zstd level (a capture's, CAPTURE_ZSTD_LEVEL, so that it keeps up
 * with the card) to the store's level (CHUNK_ZSTD_LEVEL), an image at a time, in the compression
 * pool's low-priority thread. Each chunk's row says its level, so after a restart, or on another
 * instance, the job picks up what is left; one instance at a time works on an image (its cluster
 * job lock). The state of each image's latest recompression is published as `image.recompression`.
 */
@Injectable()
export class ChunkRecompression implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('Chunks');
  private readonly states = new Map<number, ImageRecompressionDto>();
  private readonly queue: number[] = [];
  private running?: Promise<void>;
  private stopping = false;
  private sweeper?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: ChunkStore,
    private readonly chunks: ChunkCatalogue,
    private readonly config: AppConfig,
    private readonly live: LiveEvents,
  ) {}

  onApplicationBootstrap(): void {
    void this.sweep();
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** The chunk in progress is finished (a frame is never left half-written); the rest waits for the next start. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.queue.splice(0);
    await this.running;
  }

  /** Queues the image's recompression, unless it is queued or running already. */
  start(imageId: number): void {
    if (this.stopping || this.isQueued(imageId)) return;
    const state: ImageRecompressionDto = { imageId, state: 'queued', doneBytes: 0, totalBytes: 0 };
    this.states.set(imageId, state);
    this.publish(state);
    this.queue.push(imageId);
    this.next();
  }

  /** The image's latest recompression since the server started, or null. */
  stateOf(imageId: number): ImageRecompressionDto | null {
    const state = this.states.get(imageId);
    return state ? { ...state } : null;
  }

  /** Queues every image that has chunks below the store's level. */
  private async sweep(): Promise<void> {
    try {
      for (const imageId of await this.chunks.imagesBelowLevel(this.config.images.chunkZstdLevel)) this.start(imageId);
    } catch (error) {
      this.logger.warn(`Looking for chunks to recompress failed: ${(error as Error).message}`);
    }
  }

  private isQueued(imageId: number): boolean {
    const state = this.states.get(imageId)?.state;
    return state === 'queued' || state === 'running';
  }

  private next(): void {
    if (this.running || this.stopping) return;
    const imageId = this.queue.shift();
    if (imageId === undefined) return;
    this.running = this.recompress(imageId).finally(() => {
      this.running = undefined;
      this.next();
    });
  }

  private async recompress(imageId: number): Promise<void> {
    const state = this.states.get(imageId)!;
    const level = this.config.images.chunkZstdLevel;
    const started = Date.now();
    let saved = 0;
    try {
      const ranHere = await runJobAlone(this.dataSource, `recompress-image-${imageId}`, async () => {
        const pending = await this.chunks.chunksBelowLevel(imageId, level);
        Object.assign(state, { state: 'running', doneBytes: 0, totalBytes: sum(pending) });
        this.publish(state);
        let lastPublished = Date.now();
        for (const chunk of pending) {
          if (this.stopping) throw new Error('the server stopped; the next start goes on with the rest');
          const storedSize = await this.store.recompress(chunk.sha256, level);
          // Null: freed meanwhile (its image deleted), nothing left to do for it.
          if (storedSize !== null) {
            await this.chunks.restored(chunk.sha256, storedSize, level);
            saved += chunk.storedSize - storedSize;
          }
          state.doneBytes += chunk.length;
          if (Date.now() - lastPublished >= PROGRESS_INTERVAL_MS) {
            lastPublished = Date.now();
            this.publish(state);
          }
        }
      });
      if (!ranHere) {
        // Another instance works on it: its sweep or a later one of ours finishes what is left.
        this.states.delete(imageId);
        return;
      }
      state.state = 'done';
      this.logger.log(
        `Image ${imageId}: ${formatBytes(state.totalBytes)} of chunks recompressed at zstd level ${level} ` +
          `in ${((Date.now() - started) / 1000).toFixed(1)} s, ${formatBytes(saved)} saved`,
      );
    } catch (error) {
      state.state = 'failed';
      state.error = `Recompressing the chunks of image ${imageId} failed: ${(error as Error).message}`;
      this.logger.warn(state.error);
    }
    this.publish(state);
    if (state.state === 'done') this.live.publish(SOCKET_EVENTS.imagesChanged, { id: imageId });
  }

  private publish(state: ImageRecompressionDto): void {
    this.live.publish(SOCKET_EVENTS.imageRecompression, { ...state });
  }
}

function sum(chunks: { length: number }[]): number {
  return chunks.reduce((total, chunk) => total + chunk.length, 0);
}

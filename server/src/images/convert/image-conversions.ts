import { BeforeApplicationShutdown, ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { formatBytes, SOCKET_EVENTS, type ImageConversionDto } from '@rpi-deploy/contracts';
import { AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { LiveEvents } from '../../live/live-events';
import { ChunkCatalogue } from '../chunks/chunk-catalogue';
import { ChunkCutter } from '../chunks/chunk-cutter';
import { ChunkStore } from '../chunks/chunk-store';
import { Image } from '../image.entity';
import { ImageStore } from '../image-store';
import { readStoredImage } from './read-stored-image';

/** How often dashboards hear about a running conversion, at most (as for uploads). */
const PROGRESS_INTERVAL_MS = 500;

/**
 * Converts images stored before the chunk store into chunks, one at a time (each keeps the
 * compression pool busy; two would only share it), the others queued in order. The state of
 * each image's latest conversion is kept in memory and published as `image.conversion`.
 */
@Injectable()
export class ImageConversions implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Images');
  private readonly states = new Map<number, ImageConversionDto>();
  private readonly queue: number[] = [];
  private running?: { imageId: number; abort: AbortController; finished: Promise<void> };
  private stopping = false;

  constructor(
    @InjectRepository(Image) private readonly images: Repository<Image>,
    private readonly store: ImageStore,
    private readonly chunkStore: ChunkStore,
    private readonly chunks: ChunkCatalogue,
    private readonly transactions: Transactions,
    private readonly config: AppConfig,
    private readonly live: LiveEvents,
  ) {}

  /** Queues the conversion of an image that has no chunks; its state, `queued` or already `running`. */
  async start(imageId: number): Promise<ImageConversionDto> {
    const image = await this.images.findOneBy({ id: imageId });
    if (!image) throw new NotFoundException(`No image ${imageId}`);
    if (image.chunkCount !== null) {
      throw new ConflictException(
        `${image.product} ${image.version} is in the chunk store already: nothing to convert`,
      );
    }
    if (this.isConverting(imageId)) {
      throw new ConflictException(
        `${image.product} ${image.version} is being converted already: wait for it to finish`,
      );
    }
    const state: ImageConversionDto = { imageId, state: 'queued', doneBytes: 0, totalBytes: image.mappedBytes };
    this.states.set(imageId, state);
    this.publish(state);
    this.queue.push(imageId);
    this.next();
    return { ...(this.states.get(imageId) ?? state) };
  }

  /** The latest conversion of the image since the server started, or null. */
  stateOf(imageId: number): ImageConversionDto | null {
    const state = this.states.get(imageId);
    return state ? { ...state } : null;
  }

  /** Whether the image is queued or being converted (it must not be deleted then). */
  isConverting(imageId: number): boolean {
    const state = this.states.get(imageId)?.state;
    return state === 'queued' || state === 'running';
  }

  /** The running conversion stops and frees its chunks while the database is still open. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const imageId of this.queue.splice(0)) this.states.delete(imageId);
    this.running?.abort.abort(new Error('the server stopped: start the conversion again'));
    await this.running?.finished;
  }

  private next(): void {
    if (this.running || this.stopping) return;
    const imageId = this.queue.shift();
    if (imageId === undefined) return;
    const abort = new AbortController();
    const finished = this.convert(imageId, abort.signal).finally(() => {
      this.running = undefined;
      this.next();
    });
    this.running = { imageId, abort, finished };
  }

  private async convert(imageId: number, signal: AbortSignal): Promise<void> {
    const state = this.states.get(imageId)!;
    state.state = 'running';
    this.publish(state);
    const started = Date.now();
    let lastPublished = Date.now();
    const cutter = new ChunkCutter(this.chunkStore, this.config.images.chunkZstdLevel);
    try {
      const image = await this.images.findOneBy({ id: imageId });
      if (!image) throw new Error('the image was deleted');
      cutter.patchAgainst(await this.chunks.patchBasesFor(image.product, image.id));
      await this.store.withLocalCopy(image.filename, (imagePath, bmapPath) =>
        readStoredImage(
          imagePath,
          bmapPath,
          cutter,
          (doneBytes) => {
            state.doneBytes = doneBytes;
            if (Date.now() - lastPublished < PROGRESS_INTERVAL_MS) return;
            lastPublished = Date.now();
            this.publish(state);
          },
          signal,
        ),
      );
      const chunks = await cutter.finish();
      // With an S3 store every instance serves them from the bucket: there before they are recorded.
      await this.chunkStore.publish(chunks);
      await this.transactions.run(async (manager) => {
        const current = await manager.findOne(Image, {
          where: { id: imageId },
          ...(this.transactions.isPostgres ? { lock: { mode: 'pessimistic_write' as const } } : {}),
        });
        if (!current || current.chunkCount !== null) throw new Error('the image was deleted or converted meanwhile');
        await manager.update(Image, { id: imageId }, { chunkCount: chunks.length });
        await this.chunks.record(manager, imageId, chunks, cutter.level);
      });
      // Committed: the image's rows now keep its chunks.
      await this.chunkStore.release(cutter.claimedDigests);
      state.state = 'done';
      this.logger.log(
        `${image.product} ${image.version} (image ${imageId}) converted into ${chunks.length} chunks: ` +
          `${formatBytes(image.mappedBytes)} mapped in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    } catch (error) {
      await cutter.settle();
      await this.chunkStore.release(cutter.claimedDigests);
      await this.chunks.free([...cutter.claimedDigests]);
      state.state = 'failed';
      state.error = `Converting image ${imageId} failed: ${signal.aborted ? (signal.reason as Error).message : (error as Error).message}`;
      this.logger.error(state.error);
    }
    this.publish(state);
    if (state.state === 'done') this.live.publish(SOCKET_EVENTS.imagesChanged, { id: imageId });
  }

  private publish(state: ImageConversionDto): void {
    this.live.publish(SOCKET_EVENTS.imageConversion, { ...state });
  }
}

import {
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Request } from 'express';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Repository, type EntityManager } from 'typeorm';
import {
  formatBytes,
  SOCKET_EVENTS,
  type ImageChunkStats,
  type ImageCompression,
  type ImageConversionDto,
  type ImageDto,
  type ImageRecompressionDto,
  type ImageUploadFields,
  type ProductCode,
} from '@rpi-deploy/contracts';
import { AppConfig } from '../config/app-config';
import { Transactions } from '../database/transactions';
import { isUniqueViolation } from '../database/unique-violation';
import { ChunkCatalogue } from './chunks/chunk-catalogue';
import { ChunkCutter } from './chunks/chunk-cutter';
import { ChunkRecompression } from './chunks/chunk-recompression';
import { ChunkStore } from './chunks/chunk-store';
import { ImageConversions } from './convert/image-conversions';
import { Image } from './image.entity';
import { ImageChanges, type ImageChange } from './image-changes';
import { ImageInstalls } from './image-installs';
import { ImageStore } from './image-store';
import type { ByteRange } from './store/blob-store';
import { DownloadLeases } from './store/download-leases';
import { receiveImageUpload, type ReceivedImage } from './upload/receive-image-upload';
import { failureMessage } from './upload/upload-errors';
import type { ImageDescription } from './upload/sparse-image-writer';
import { UploadProgressAnnouncer } from './upload/upload-progress';
import { LiveEvents } from '../live/live-events';

/** How often deleted images' bytes are checked for release (leases last LEASE_SECONDS). */
const SWEEP_MS = 60_000;

@Injectable()
export class ImagesService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Images');
  private sweeper?: NodeJS.Timeout;

  constructor(
    @InjectRepository(Image) private readonly images: Repository<Image>,
    private readonly store: ImageStore,
    private readonly transactions: Transactions,
    private readonly config: AppConfig,
    private readonly live: LiveEvents,
    private readonly changes: ImageChanges,
    private readonly chunkStore: ChunkStore,
    private readonly chunks: ChunkCatalogue,
    private readonly installs: ImageInstalls,
    private readonly conversions: ImageConversions,
    private readonly recompression: ChunkRecompression,
    private readonly leases: DownloadLeases,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.store.prepare();
    await this.chunkStore.prepare();
    await this.chunks.sweepOrphans();
    await this.freeReleased();
    // Every instance sweeps; each step is idempotent, so two sweeping at once do no harm.
    this.sweeper = setInterval(() => {
      this.freeReleased().catch((error: Error) => this.logger.warn(`Freeing deleted images failed: ${error.message}`));
    }, SWEEP_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** The bytes of images deleted while downloads were in progress, once the last of those has ended. */
  async freeReleased(): Promise<void> {
    await this.leases.dropExpired();
    for (const { imageId, filename } of await this.leases.released()) {
      const digests = await this.transactions.run(async (manager) => {
        await this.leases.drop(manager, imageId);
        return this.chunks.forget(manager, imageId);
      });
      await this.store.remove(filename);
      await this.chunks.free(digests);
      this.logger.log(`Freed the bytes of deleted image ${imageId}: its last download has ended`);
    }
  }

  async list(product?: ProductCode): Promise<ImageDto[]> {
    const images = await this.images.find({ where: product ? { product } : {}, order: { id: 'DESC' } });
    return this.withChunkStats(images);
  }

  async get(id: number): Promise<ImageDto> {
    const [dto] = await this.withChunkStats([await this.find(this.images.manager, id)]);
    return dto as ImageDto;
  }

  /** The DTOs with their chunk figures; "previous version" is the product's image uploaded before. */
  private async withChunkStats(images: Image[]): Promise<ImageDto[]> {
    const chunked = images.filter((image) => image.chunkCount !== null);
    const previousOf = new Map<number, number>();
    for (const image of chunked) {
      const previous = await this.images
        .createQueryBuilder('i')
        .select('i.id')
        .where('i.product = :product AND i.id < :id AND i.chunkCount IS NOT NULL', {
          product: image.product,
          id: image.id,
        })
        .orderBy('i.id', 'DESC')
        .getOne();
      if (previous) previousOf.set(image.id, previous.id);
    }
    const stats = await this.chunks.stats(
      chunked.map((image) => image.id),
      previousOf,
    );
    return images.map((image) =>
      toImageDto(
        image,
        image.chunkCount === null ? null : (stats.get(image.id) ?? noChunks()),
        this.conversions.stateOf(image.id),
        this.recompression.stateOf(image.id),
      ),
    );
  }

  /** The active image of a product, if any. */
  active(product: ProductCode): Promise<Image | null> {
    return this.images.findOneBy({ product, active: true });
  }

  /** A stored image by its served file name, or null (unknown names are simply not found). */
  byFilename(filename: string): Promise<Image | null> {
    return this.images.findOneBy({ filename });
  }

  filePath(image: Image): string {
    return this.store.imagePath(image.filename);
  }

  /**
   * A file on this host holding the image's bytes of `range` at their offsets, for tools that read
   * an image from disk (mtools reads the boot partition for the TFTP root): the stored file itself
   * in a folder store; with S3, the range fetched from the bucket into `scratch` (sparse before it).
   */
  async localRange(image: Image, range: ByteRange, scratch: string): Promise<string> {
    const remote = this.store.shared.remote;
    if (!remote) return this.filePath(image);
    await pipeline(
      await remote.read(this.store.imageKey(image.filename), range),
      createWriteStream(scratch, { start: range.start }),
    );
    return scratch;
  }

  bmapPath(image: Image): string {
    return this.store.bmapPath(image.filename);
  }

  async upload(request: Request, uploadedBy: string): Promise<ImageDto> {
    const started = Date.now();
    const declared = Number(request.headers['content-length']);
    const announcer = new UploadProgressAnnouncer(
      this.live,
      uploadedBy,
      Number.isFinite(declared) && declared > 0 ? declared : null,
    );
    const cutter = this.newChunkCutter();
    let received;
    try {
      received = await receiveImageUpload(request, this.store, {
        chunks: cutter,
        maxBytes: this.config.images.uploadMaxBytes,
        maxImageBytes: this.config.images.maxImageBytes,
        diskReserveBytes: this.config.images.diskReserveBytes,
        checkFields: ({ product, version }) => this.checkNewVersion(product, version, cutter),
        onProgress: announcer.report,
      });
    } catch (error) {
      announcer.failed(failureMessage(error));
      await this.abandonChunks(cutter);
      throw error;
    }
    return this.keep(received, { uploadedBy, capturedFrom: null }, cutter, announcer, started);
  }

  /**
   * Where a new image's mapped bytes go as chunks (the upload's, the capture's and generalise's
   * pipeline), at the store's zstd level unless told another (a capture's fast one).
   */
  newChunkCutter(level = this.config.images.chunkZstdLevel): ChunkCutter {
    return new ChunkCutter(this.chunkStore, level);
  }

  /** Refuses a version the product has already (409); chunks are then cut as patches of its recent ones. */
  async checkNewVersion(product: ProductCode, version: string, cutter?: ChunkCutter): Promise<void> {
    if (await this.images.existsBy({ product, version })) throw versionExists(product, version);
    cutter?.patchAgainst(await this.chunks.patchBasesFor(product));
  }

  /**
   * Stores a received image (its file, block map and chunks) as a new, inactive version and tells
   * the dashboards; on failure nothing of it stays. Uploads and captures both end here.
   */
  async keep(
    received: ReceivedImage,
    origin: { uploadedBy: string; capturedFrom: string | null },
    cutter: ChunkCutter,
    announcer: UploadProgressAnnouncer,
    started: number,
  ): Promise<ImageDto> {
    let image: Image;
    try {
      image = await this.keepAndRecord({
        uploadPath: received.uploadPath,
        fields: received.fields,
        description: received.description,
        uploadCompression: received.compression,
        uploadSize: received.uploadSize,
        ...origin,
        cutter,
      });
    } catch (error) {
      announcer.failed(failureMessage(error));
      throw error;
    }
    this.logger.log(
      `${image.product} ${image.version} stored as ${image.filename}: ${formatBytes(image.size)} ` +
        `(${formatBytes(image.mappedBytes)} mapped), ${received.compression} upload of ` +
        `${formatBytes(received.uploadSize)} in ${((Date.now() - started) / 1000).toFixed(1)} s, by ${origin.uploadedBy}`,
    );
    announcer.stored();
    this.announce({ id: image.id, change: 'stored' });
    return this.get(image.id);
  }

  /**
   * Moves a described image file into the store and records it as a new version with its chunks
   * (an upload, a capture, or a generalised copy). On failure nothing of it is left: file, block
   * map, chunks.
   */
  async keepAndRecord(input: {
    uploadPath: string;
    fields: ImageUploadFields;
    description: ImageDescription;
    uploadCompression: ImageCompression;
    uploadSize: number;
    uploadedBy: string;
    /** The serial of the reference unit whose card this is, for a capture. */
    capturedFrom?: string | null;
    cutter: ChunkCutter;
  }): Promise<Image> {
    const { fields, description } = input;
    const filename = this.store.newImageName(fields.product);
    let image: Image;
    try {
      await this.store.keep(input.uploadPath, filename, description.blockMap.xml);
      await this.chunkStore.publish(description.chunks);
      image = await this.transactions.run(async (manager) => {
        const saved = await manager.save(
          manager.create(Image, {
            product: fields.product,
            version: fields.version,
            description: fields.description?.trim() || null,
            filename,
            size: description.size,
            sha256: description.sha256,
            uploadCompression: input.uploadCompression,
            uploadSize: input.uploadSize,
            mappedBytes: description.blockMap.mappedBytes,
            bmapSha256: description.blockMap.sha256,
            partitionTable: description.partitionTable,
            uploadedBy: input.uploadedBy,
            capturedFrom: input.capturedFrom ?? null,
            active: false,
            chunkCount: description.chunks.length,
          }),
        );
        await this.chunks.record(manager, saved.id, description.chunks, input.cutter.level);
        return saved;
      });
    } catch (error) {
      await rm(input.uploadPath, { force: true });
      await this.store.remove(filename);
      await this.abandonChunks(input.cutter);
      throw isUniqueViolation(error) ? versionExists(fields.product, fields.version) : error;
    }
    // Committed: the image's rows now keep its chunks.
    await this.chunkStore.release(input.cutter.claimedDigests);
    return image;
  }

  /** Makes the image the one Pis of its product get; the previous active one steps back. */
  async activate(id: number): Promise<ImageDto> {
    const image = await this.transactions.run(async (manager) => {
      const target = await this.find(manager, id);
      if (this.transactions.isPostgres) {
        // Two activations of one product at once: the second waits, then switches cleanly.
        await manager
          .createQueryBuilder(Image, 'i')
          .where('i.product = :product', { product: target.product })
          .setLock('pessimistic_write')
          .getMany();
      }
      await manager.update(Image, { product: target.product, active: true }, { active: false });
      target.active = true;
      target.activatedAt = new Date();
      return manager.save(target);
    });
    this.logger.log(`${image.product} ${image.version} (image ${image.id}) is now active`);
    this.announce({ id: image.id, change: 'activated' });
    return this.get(image.id);
  }

  /** Activates the image that was active before the current one. */
  async rollback(product: ProductCode): Promise<ImageDto> {
    const previous = await this.images
      .createQueryBuilder('i')
      .where('i.product = :product AND i.active = :inactive AND i.activatedAt IS NOT NULL', {
        product,
        inactive: false,
      })
      .orderBy('i.activatedAt', 'DESC')
      .getOne();
    if (!previous) throw new ConflictException(`No earlier ${product} image to roll back to`);
    return this.activate(previous.id);
  }

  async remove(id: number): Promise<void> {
    if (this.conversions.isConverting(id)) {
      throw new ConflictException(
        `Image ${id} is being converted into chunks: delete it once the conversion has finished (the Images page shows it)`,
      );
    }
    const image = await this.transactions.run(async (manager) => {
      const found = await this.find(manager, id, true);
      if (found.active) {
        throw new ConflictException(
          `Image ${id} is the active ${found.product} image: activate another one (or roll back) before deleting it`,
        );
      }
      const installing = await this.installs.count(manager, id);
      if (installing > 0) {
        throw new ConflictException(
          `${found.product} ${found.version} is being installed by ${installing} unit${installing === 1 ? '' : 's'} right now: ` +
            'delete it once they have finished (the dashboard shows them)',
        );
      }
      const downloading = await this.leases.live(manager, id);
      await manager.delete(Image, { id });
      // Downloads in progress on any instance: the manifest rows keep the chunks, the leases the
      // file's name, until freeReleased runs after the last lease expired.
      if (downloading > 0) return { ...found, downloading, chunkDigests: [] };
      return { ...found, downloading, chunkDigests: await this.chunks.forget(manager, id) };
    });
    if (image.downloading === 0) {
      await this.store.remove(image.filename);
      await this.chunks.free(image.chunkDigests);
    }
    this.logger.log(
      `Deleted ${image.product} ${image.version} (image ${id})` +
        (image.downloading > 0 ? `; its bytes stay until ${image.downloading} download(s) in progress end` : ''),
    );
    this.announce({ id, change: 'deleted' });
  }

  /** After a failed upload: the chunks it stored that no image uses go. */
  async abandonChunks(cutter: ChunkCutter): Promise<void> {
    await cutter.settle();
    await this.chunkStore.release(cutter.claimedDigests);
    await this.chunks.free([...cutter.claimedDigests]);
  }

  /** Tells the rest of the server, then the dashboards. */
  announce(change: ImageChange): void {
    this.changes.announce(change);
    this.live.publish(SOCKET_EVENTS.imagesChanged, { id: change.id });
  }

  private async find(manager: EntityManager, id: number, lock = false): Promise<Image> {
    const image = await manager.findOne(Image, {
      where: { id },
      ...(lock && this.transactions.isPostgres ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!image) throw new NotFoundException(`No image ${id}`);
    return image;
  }
}

function versionExists(product: ProductCode, version: string): ConflictException {
  return new ConflictException(`${product} version ${version} exists already: give the new image another version`);
}

function noChunks(): ImageChunkStats {
  return { chunkCount: 0, storedBytes: 0, sharedWithPreviousBytes: null };
}

function toImageDto(
  image: Image,
  chunks: ImageChunkStats | null,
  conversion: ImageConversionDto | null,
  recompression: ImageRecompressionDto | null,
): ImageDto {
  return {
    id: image.id,
    product: image.product,
    version: image.version,
    description: image.description,
    notes: image.notes,
    filename: image.filename,
    size: image.size,
    sha256: image.sha256,
    uploadCompression: image.uploadCompression,
    uploadSize: image.uploadSize,
    mappedBytes: image.mappedBytes,
    partitionTable: image.partitionTable,
    uploadedBy: image.uploadedBy,
    capturedFrom: image.capturedFrom,
    uploadedAt: image.uploadedAt.toISOString(),
    active: image.active,
    activatedAt: image.activatedAt?.toISOString() ?? null,
    chunks,
    conversion,
    recompression,
  };
}

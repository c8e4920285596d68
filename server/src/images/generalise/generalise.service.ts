import {
  BadRequestException,
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Repository } from 'typeorm';
import {
  formatBytes,
  IMAGE_BLOCK_SIZE,
  type GeneraliseBody,
  type GeneralisePlanDto,
  type ImageDto,
} from '@rpi-deploy/contracts';
import { AppConfig } from '../../config/app-config';
import { ChunkCatalogue } from '../chunks/chunk-catalogue';
import { Image } from '../image.entity';
import { ImageStore } from '../image-store';
import { ImagesService } from '../images.service';
import { readBlockMap } from '../upload/block-map';
import { SparseImageWriter } from '../upload/sparse-image-writer';
import { noSpace } from '../upload/upload-errors';
import { applyGeneralisation, planGeneralisation, type RootPlan } from './generalise-root';
import { findExt4Root, RootDebugfs } from './root-debugfs';

/**
 * Generalising a version: a copy of its stored file is edited (debugfs on the ext4 root) to drop
 * the reference unit's identity, then goes through the upload's own pipeline (sparse file, block
 * map, SHA-256, chunks) and is recorded as a new version. The original is only ever read.
 */
@Injectable()
export class GeneraliseService {
  private readonly logger = new Logger('Generalise');

  constructor(
    @InjectRepository(Image) private readonly images: Repository<Image>,
    private readonly catalogue: ImagesService,
    private readonly store: ImageStore,
    private readonly chunks: ChunkCatalogue,
    private readonly config: AppConfig,
  ) {}

  async plan(id: number): Promise<GeneralisePlanDto> {
    const image = await this.find(id);
    const { plan } = await this.planOn(image, this.store.imagePath(image.filename));
    return { imageId: image.id, version: image.version, always: plan.always, candidates: plan.candidates };
  }

  async generalise(id: number, body: GeneraliseBody, by: string): Promise<ImageDto> {
    const started = Date.now();
    const source = await this.find(id);
    await this.catalogue.checkNewVersion(source.product, body.version);
    const { plan: preview } = await this.planOn(source, this.store.imagePath(source.filename));
    const known = new Set(preview.candidates.map((candidate) => candidate.path));
    const unknown = body.clear.filter((path) => !known.has(path));
    if (unknown.length > 0) {
      throw new BadRequestException(
        `Not among this version's candidates: ${unknown.join(', ')} (GET /api/images/${id}/generalise lists them)`,
      );
    }
    const free = await this.store.freeBytes();
    // The scratch copy and the new version, each at most the mapped bytes.
    if (2 * source.mappedBytes + this.config.images.diskReserveBytes > free) {
      throw noSpace(free, this.config.images.diskReserveBytes);
    }
    const scratch = this.store.newUploadPath();
    const uploadPath = this.store.newUploadPath();
    const cutter = this.catalogue.newChunkCutter();
    try {
      await copyMapped(this.store.imagePath(source.filename), this.store.bmapPath(source.filename), scratch);
      const { plan, root } = await this.planOn(source, scratch);
      await applyGeneralisation(root, plan, new Set(body.clear));
      cutter.patchAgainst(await this.chunks.patchBasesFor(source.product));
      const handle = await open(uploadPath, 'wx', 0o600);
      let writer: SparseImageWriter;
      try {
        writer = new SparseImageWriter(handle, cutter);
        await pipeline(createReadStream(scratch), writer);
      } finally {
        await handle.close();
      }
      await rm(scratch, { force: true });
      const image = await this.catalogue.keepAndRecord({
        uploadPath,
        fields: {
          product: source.product,
          version: body.version,
          description: body.description ?? describe(source, body.clear.length),
        },
        description: writer.result,
        uploadCompression: 'none',
        uploadSize: writer.result.size,
        uploadedBy: by,
        cutter,
      });
      this.logger.log(
        `${source.product} ${source.version} generalised into ${image.version} (image ${image.id}): ` +
          `${plan.always.length} identity items and ${body.clear.length} chosen items cleared, ` +
          `${formatBytes(image.mappedBytes)} mapped, in ${((Date.now() - started) / 1000).toFixed(1)} s, by ${by}`,
      );
      this.catalogue.announce({ id: image.id, change: 'stored' });
      return this.catalogue.get(image.id);
    } catch (error) {
      await rm(scratch, { force: true });
      await rm(uploadPath, { force: true });
      await this.catalogue.abandonChunks(cutter);
      throw error;
    }
  }

  private async planOn(image: Image, path: string): Promise<{ plan: RootPlan; root: RootDebugfs }> {
    if (this.store.shared.remote) {
      throw new ConflictException(
        'Generalising reads the stored file: it works with a file store, not with IMAGE_STORE_URL=s3://',
      );
    }
    const partition = await findExt4Root(path, image.partitionTable.partitions);
    if (!partition) {
      throw new UnprocessableEntityException(
        `${image.product} ${image.version} has no ext4 root partition: only a Raspberry Pi OS-like image can be generalised`,
      );
    }
    const root = new RootDebugfs(path, partition.startBytes);
    const { blockSize, blockCount, features } = await root.stats();
    if (features.includes('needs_recovery')) {
      throw new UnprocessableEntityException(
        `${image.product} ${image.version}'s root file system has an unreplayed journal (captured without a clean ` +
          'shutdown): run e2fsck on the image and upload it again, or capture it after a clean shutdown',
      );
    }
    return { plan: await planGeneralisation(root, { blockSize, blockCount }, partition.startBytes), root };
  }

  private async find(id: number): Promise<Image> {
    const image = await this.images.findOneBy({ id });
    if (!image) throw new NotFoundException(`No image ${id}`);
    return image;
  }
}

function describe(source: Image, chosen: number): string {
  return `Generalised from ${source.version}: identity cleared, ${chosen} more item${chosen === 1 ? '' : 's'} cleared`;
}

/** A sparse copy of a stored image: only its mapped ranges are read and written, the rest stays holes. */
async function copyMapped(imagePath: string, bmapPath: string, target: string): Promise<void> {
  const { imageSize, ranges } = readBlockMap(await readFile(bmapPath, 'utf8'));
  const [from, to] = [await open(imagePath, 'r'), await open(target, 'wx', 0o600)];
  try {
    for (const range of ranges) {
      const offset = range.first * IMAGE_BLOCK_SIZE;
      const length = Math.min((range.last + 1) * IMAGE_BLOCK_SIZE, imageSize) - offset;
      const data = Buffer.allocUnsafe(length);
      const { bytesRead } = await from.read(data, 0, length, offset);
      if (bytesRead !== length || createHash('sha256').update(data).digest('hex') !== range.sha256) {
        throw new ConflictException(
          `The stored file does not match its block map at blocks ${range.first}-${range.last}: upload the image again`,
        );
      }
      await to.write(data, 0, length, offset);
    }
    await to.truncate(imageSize);
  } finally {
    await from.close();
    await to.close();
  }
}

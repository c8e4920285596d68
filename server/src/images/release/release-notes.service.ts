import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { SOCKET_EVENTS, type ImageChangesDto } from '@rpi-deploy/contracts';
import { Transactions } from '../../database/transactions';
import { LiveEvents } from '../../live/live-events';
import { ChunkCatalogue } from '../chunks/chunk-catalogue';
import { Image } from '../image.entity';
import { ImageStore } from '../image-store';
import { comparePackages, type InstalledPackages } from './dpkg-status';
import { readInstalledPackages } from './read-dpkg-status';

/** Release notes of a version, and what changed between two versions. */
@Injectable()
export class ReleaseNotesService {
  private readonly logger = new Logger('ReleaseNotes');
  /** One read per image at a time, however many pages ask at once. */
  private readonly reading = new Map<number, Promise<InstalledPackages | null>>();

  constructor(
    @InjectRepository(Image) private readonly images: Repository<Image>,
    private readonly store: ImageStore,
    private readonly chunks: ChunkCatalogue,
    private readonly transactions: Transactions,
    private readonly live: LiveEvents,
  ) {}

  async setNotes(id: number, notes: string): Promise<void> {
    const text = notes.trim() || null;
    const result = await this.transactions.run((manager) => manager.update(Image, { id }, { notes: text }));
    if (result.affected !== 1) throw new NotFoundException(`No image ${id}`);
    this.live.publish(SOCKET_EVENTS.imagesChanged, { id });
  }

  async changes(toId: number, fromId: number): Promise<ImageChangesDto> {
    const [to, from] = [await this.find(toId), await this.find(fromId)];
    const stats = await this.chunks.stats(
      [to, from].filter((image) => image.chunkCount !== null).map((image) => image.id),
      new Map([[to.id, from.id]]),
    );
    const bothChunked = to.chunkCount !== null && from.chunkCount !== null;
    const [toPackages, fromPackages] = await Promise.all([this.packagesOf(to), this.packagesOf(from)]);
    const side = (image: Image) => ({
      id: image.id,
      version: image.version,
      size: image.size,
      mappedBytes: image.mappedBytes,
      storedBytes: stats.get(image.id)?.storedBytes ?? null,
    });
    return {
      from: side(from),
      to: side(to),
      sharedBytes: bothChunked ? (stats.get(to.id)?.sharedWithPreviousBytes ?? 0) : null,
      packages: toPackages && fromPackages ? comparePackages(fromPackages, toPackages) : null,
    };
  }

  /** Read from the image once, then kept in its row (an image's bytes never change). */
  private packagesOf(image: Image): Promise<InstalledPackages | null> {
    if (image.packagesReadAt) return Promise.resolve(image.packages);
    let pending = this.reading.get(image.id);
    if (!pending) {
      pending = this.readAndKeep(image).finally(() => this.reading.delete(image.id));
      this.reading.set(image.id, pending);
    }
    return pending;
  }

  private async readAndKeep(image: Image): Promise<InstalledPackages | null> {
    const packages = await readInstalledPackages(this.store.imagePath(image.filename), image.partitionTable.partitions);
    await this.transactions.run((manager) =>
      manager.update(Image, { id: image.id }, { packages, packagesReadAt: new Date() }),
    );
    this.logger.log(
      `${image.product} ${image.version}: ${packages ? `${Object.keys(packages).length} installed packages` : 'no dpkg status'}`,
    );
    return packages;
  }

  private async find(id: number): Promise<Image> {
    const image = await this.images.findOneBy({ id });
    if (!image) throw new NotFoundException(`No image ${id}`);
    return image;
  }
}

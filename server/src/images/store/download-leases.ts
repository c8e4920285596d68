import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request } from 'express';
import { DataSource, LessThanOrEqual, MoreThan, type EntityManager } from 'typeorm';
import { Transactions } from '../../database/transactions';
import { Image } from '../image.entity';
import { ImageDownload } from './image-download.entity';
import { SharedStore } from './shared-store';

/** How long a download keeps its image after its last request: longer than an installer's retry pause. */
export const LEASE_SECONDS = 600;
/** One database write per client and image at most this often; the expiry leaves room for it. */
const REFRESH_MS = 30_000;

/**
 * Downloads in progress as rows with an expiry, so that deleting an image on one instance sees the
 * downloads served by every other instance (process memory would only see its own).
 * A unit's image, block map or manifest request takes a lease on that image; its chunk requests,
 * which name no image, extend the leases that unit holds.
 */
@Injectable()
export class DownloadLeases {
  private readonly refreshed = new Map<string, number>();

  /**
   * Only a shared store (IMAGE_STORE_URL set) has other instances sending its bytes. With the
   * local default, one process serves from open files and a delete frees at once, as always.
   */
  private readonly enabled: boolean;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    store: SharedStore,
  ) {
    this.enabled = store.shared;
  }

  /**
   * Takes or extends `client`'s lease on the image, under a share lock on its row so a delete
   * running at the same time on another instance either sees the lease or deleted the row first.
   * Returns false when the image is gone.
   */
  async hold(image: Image, client: string): Promise<boolean> {
    const key = `${image.id}/${client}`;
    if (!this.enabled) return true;
    if (Date.now() - (this.refreshed.get(key) ?? 0) < REFRESH_MS) return true;
    const held = await this.transactions.run(async (manager) => {
      const query = manager.createQueryBuilder(Image, 'i').where('i.id = :id', { id: image.id });
      if (this.transactions.isPostgres) query.setLock('pessimistic_read');
      if (!(await query.getOne())) return false;
      await manager.upsert(
        ImageDownload,
        { imageId: image.id, client, filename: image.filename, expiresAt: expiry() },
        ['imageId', 'client'],
      );
      return true;
    });
    if (held) this.forgetOld().set(key, Date.now());
    return held;
  }

  /** A chunk request: the client's leases live on. */
  async extend(client: string): Promise<void> {
    if (!this.enabled) return;
    if (Date.now() - (this.refreshed.get(client) ?? 0) < REFRESH_MS) return;
    await this.dataSource
      .getRepository(ImageDownload)
      .update({ client, expiresAt: MoreThan(new Date()) }, { expiresAt: expiry() });
    this.forgetOld().set(client, Date.now());
  }

  /** Downloads of the image still in progress, inside the deleting transaction. */
  live(manager: EntityManager, imageId: number): Promise<number> {
    return manager.countBy(ImageDownload, { imageId, expiresAt: MoreThan(new Date()) });
  }

  /** Deleted images whose last lease has expired: their bytes may go now. */
  async released(): Promise<{ imageId: number; filename: string }[]> {
    const orphaned = await this.dataSource
      .getRepository(ImageDownload)
      .createQueryBuilder('d')
      .where('NOT EXISTS (SELECT 1 FROM images i WHERE i.id = d.image_id)')
      .getMany();
    const now = Date.now();
    const byImage = new Map<number, ImageDownload[]>();
    for (const lease of orphaned) byImage.set(lease.imageId, [...(byImage.get(lease.imageId) ?? []), lease]);
    return [...byImage.values()]
      .filter((leases) => leases.every((lease) => lease.expiresAt.getTime() <= now))
      .map(([lease]) => ({ imageId: lease!.imageId, filename: lease!.filename }));
  }

  /** The leases of a released image, in the transaction that forgets its chunks. */
  async drop(manager: EntityManager, imageId: number): Promise<void> {
    await manager.delete(ImageDownload, { imageId });
  }

  /** Expired leases of images that still exist protect nothing. */
  async dropExpired(): Promise<void> {
    const leases = this.dataSource.getRepository(ImageDownload);
    const expired = await leases
      .createQueryBuilder('d')
      .where('EXISTS (SELECT 1 FROM images i WHERE i.id = d.image_id)')
      .getMany();
    const now = Date.now();
    for (const lease of expired.filter((row) => row.expiresAt.getTime() <= now)) {
      await leases.delete({ imageId: lease.imageId, client: lease.client, expiresAt: LessThanOrEqual(new Date()) });
    }
  }

  /** Keeps the throttle map from growing with every client ever seen. */
  private forgetOld(): Map<string, number> {
    if (this.refreshed.size > 10_000) this.refreshed.clear();
    return this.refreshed;
  }
}

/** Who holds a lease: the downloading unit's address (behind nginx, the X-Forwarded-For Express trusts). */
export function clientOf(request: Request): string {
  return (request.ip ?? request.socket.remoteAddress ?? 'unknown').slice(0, 64);
}

function expiry(): Date {
  return new Date(Date.now() + LEASE_SECONDS * 1000);
}

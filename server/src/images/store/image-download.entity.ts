import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A download in progress (on any instance): keeps image `imageId`'s bytes until `expiresAt`. */
@Entity({ name: 'image_downloads' })
@Index('IDX_image_downloads_client', ['client'])
export class ImageDownload {
  @PrimaryColumn({ name: 'image_id', type: 'integer' })
  imageId!: number;

  /** The downloading unit's address: its chunk requests extend the leases it holds. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  client!: string;

  /** The image's stored name, still known after its row is deleted. */
  @Column({ type: 'varchar', length: 64 })
  filename!: string;

  @Column({ name: 'expires_at', type: Date })
  expiresAt!: Date;
}

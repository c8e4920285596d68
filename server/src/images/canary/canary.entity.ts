import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { ProductCode } from '@rpi-deploy/contracts';
import { Image } from '../image.entity';

/**
 * The running canary of a product, at most one: its image goes to the next `unitLimit` configs
 * (counted in `assigned` by one atomic UPDATE) or to the named serials; everyone else gets the
 * active image. Promote and abandon delete the row (the audit log keeps the history).
 */
@Entity({ name: 'image_canaries' })
export class ImageCanary {
  @PrimaryColumn({ type: 'varchar', length: 8 })
  product!: ProductCode;

  @Column({ name: 'image_id', type: 'integer' })
  imageId!: number;

  @ManyToOne(() => Image, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'image_id' })
  image?: Image;

  @Column({ name: 'unit_limit', type: 'integer', nullable: true })
  unitLimit!: number | null;

  @Column({ type: 'integer', default: 0 })
  assigned!: number;

  /** Lower-case serials. */
  @Column({ type: 'simple-json' })
  serials!: string[];

  @Column({ name: 'started_by', type: 'varchar', length: 32 })
  startedBy!: string;

  /** Set by the server to the millisecond: the canary's units are the deployments of its image since then. */
  @Column({ name: 'started_at', type: Date })
  startedAt!: Date;
}

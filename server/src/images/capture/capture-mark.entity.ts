import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { ProductCode } from '@rpi-deploy/contracts';

/** A unit whose next netboot captures its card as a new image version; cleared by that capture. */
@Entity({ name: 'capture_marks' })
export class CaptureMark {
  /** The TFTP prefix: the low 32 bits of the serial, 8 lower-case hex digits. */
  @PrimaryColumn({ type: 'varchar', length: 8 })
  serial!: string;

  @Column({ type: 'varchar', length: 8 })
  product!: ProductCode;

  @Column({ type: 'varchar', length: 64 })
  version!: string;

  @Column({ name: 'marked_by', type: 'varchar', length: 32 })
  markedBy!: string;

  @CreateDateColumn({ name: 'marked_at' })
  markedAt!: Date;
}

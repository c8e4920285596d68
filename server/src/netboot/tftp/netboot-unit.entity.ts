import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { ProductCode } from '@rpi-deploy/contracts';

/**
 * A unit that boots differently from the rest: its own TFTP folder `<serial8>/` whose
 * cmdline.txt names its product and/or venue (and whose boot files come from that product's image).
 */
@Entity({ name: 'netboot_units' })
export class NetbootUnit {
  /** The TFTP prefix: the low 32 bits of the serial, 8 lower-case hex digits. */
  @PrimaryColumn({ type: 'varchar', length: 8 })
  serial!: string;

  @Column({ type: 'varchar', length: 8, nullable: true })
  product!: ProductCode | null;

  @Column({ type: 'varchar', length: 4, nullable: true })
  venue!: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}

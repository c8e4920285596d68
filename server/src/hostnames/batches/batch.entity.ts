import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { BatchStatus, ProductCode } from '@rpi-deploy/contracts';
import { Venue } from '../venues/venue.entity';

/** A run of `count` units of one product for one venue; the active one with the highest priority leads. */
@Entity({ name: 'batches' })
@Index('IDX_batches_status_priority', ['status', 'priority'])
export class Batch {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'venue_id', type: 'integer' })
  venueId!: number;

  @ManyToOne(() => Venue, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'venue_id' })
  venue?: Venue;

  @Column({ type: 'varchar', length: 8 })
  product!: ProductCode;

  @Column({ type: 'integer' })
  count!: number;

  @Column({ type: 'integer', default: 0 })
  assigned!: number;

  @Column({ type: 'integer', default: 0 })
  priority!: number;

  @Column({ type: 'varchar', length: 12 })
  status!: BatchStatus;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: Date, nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: Date, nullable: true })
  finishedAt!: Date | null;
}

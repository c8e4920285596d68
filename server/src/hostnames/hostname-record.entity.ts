import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { HostnameStatus, ProductCode } from '@rpi-deploy/contracts';
import { Venue } from './venues/venue.entity';

/** Partial unique indexes: at most one assigned hostname per device, venue and product. */
export const ASSIGNED_ONLY = `"status" = 'assigned'`;

/**
 * One hostname of a venue: a kart number of the KXP2 pool (imported, `available` until a Pi
 * takes it) or an RXP2 serial-based name (created on the first request).
 */
@Entity({ name: 'hostnames' })
@Index('UQ_hostnames_identifier', ['venueId', 'product', 'identifier'], { unique: true })
@Index('UQ_hostnames_assigned_serial', ['venueId', 'product', 'deviceSerial'], { unique: true, where: ASSIGNED_ONLY })
@Index('UQ_hostnames_assigned_mac', ['venueId', 'product', 'deviceMac'], { unique: true, where: ASSIGNED_ONLY })
@Index('IDX_hostnames_pick', ['venueId', 'product', 'status', 'identifier'])
export class HostnameRecord {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'venue_id', type: 'integer' })
  venueId!: number;

  @ManyToOne(() => Venue, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'venue_id' })
  venue?: Venue;

  @Column({ type: 'varchar', length: 8 })
  product!: ProductCode;

  /** Zero-padded kart number (KXP2) or the serial's last 8 hex digits (RXP2). */
  @Column({ type: 'varchar', length: 8 })
  identifier!: string;

  @Column({ type: 'varchar', length: 32, unique: true })
  hostname!: string;

  @Column({ type: 'varchar', length: 12 })
  status!: HostnameStatus;

  @Column({ name: 'device_serial', type: 'varchar', length: 16, nullable: true })
  deviceSerial!: string | null;

  @Column({ name: 'device_mac', type: 'varchar', length: 17, nullable: true })
  deviceMac!: string | null;

  @Column({ name: 'assigned_at', type: Date, nullable: true })
  assignedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}

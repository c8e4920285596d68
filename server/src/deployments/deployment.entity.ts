import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, OneToMany, PrimaryColumn } from 'typeorm';
import type { BootState, DeploymentStatus, FailureCode, ProductCode } from '@rpi-deploy/contracts';
import { bigintAsNumber } from '../database/bigint-transformer';
import { Venue } from '../hostnames/venues/venue.entity';
import { DeploymentEvent } from './deployment-event.entity';

/** One install of one unit as it stands now; every report is also kept as a DeploymentEvent. */
@Entity({ name: 'deployments' })
@Index('IDX_deployments_status', ['status'])
@Index('IDX_deployments_started', ['startedAt'])
@Index('IDX_deployments_serial', ['serial'])
@Index('IDX_deployments_batch', ['batchId'])
@Index('IDX_deployments_boot_state', ['bootState'])
export class Deployment {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** SHA-256 of the per-deployment secret the installer must present; the secret itself is not kept. */
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ type: 'varchar', length: 12 })
  status!: DeploymentStatus;

  @Column({ type: 'varchar', length: 32 })
  hostname!: string;

  @Column({ type: 'varchar', length: 8 })
  product!: ProductCode;

  /** Deployments keep their venue: the database refuses to delete a venue that has some. */
  @Column({ name: 'venue_id', type: 'integer' })
  venueId!: number;

  @ManyToOne(() => Venue, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'venue_id' })
  venue?: Venue;

  @Column({ type: 'varchar', length: 16 })
  serial!: string;

  @Column({ type: 'varchar', length: 17 })
  mac!: string;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  model!: string | null;

  @Column({ name: 'storage_bytes', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  storageBytes!: number | null;

  @Column({ name: 'image_id', type: 'integer', nullable: true })
  imageId!: number | null;

  @Column({ name: 'image_version', type: 'varchar', length: 64 })
  imageVersion!: string;

  @Column({ type: 'integer', default: 0 })
  progress!: number;

  @Column({ name: 'bytes_done', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  bytesDone!: number | null;

  @Column({ name: 'bytes_total', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  bytesTotal!: number | null;

  /** Bytes per second of each stage, as last reported. */
  @Column({ name: 'download_bps', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  downloadBps!: number | null;

  @Column({ name: 'write_bps', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  writeBps!: number | null;

  @Column({ name: 'verify_bps', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  verifyBps!: number | null;

  /** What the install moved, from its success report (TransferCounts). */
  @Column({ name: 'bytes_fetched', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  bytesFetched!: number | null;

  @Column({ name: 'bytes_written', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  bytesWritten!: number | null;

  @Column({ name: 'chunks_reused', type: 'integer', nullable: true })
  chunksReused!: number | null;

  @Column({ name: 'chunks_total', type: 'integer', nullable: true })
  chunksTotal!: number | null;

  /** Of bytesFetched, those other units served (peers, issue 17). */
  @Column({ name: 'bytes_from_peers', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  bytesFromPeers!: number | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  message!: string | null;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  error!: string | null;

  /** Why it failed, as the installer classified it (FAILURE_CODES); null for failures the server decided. */
  @Column({ name: 'failure_code', type: 'varchar', length: 24, nullable: true })
  failureCode!: FailureCode | null;

  @CreateDateColumn({ name: 'started_at' })
  startedAt!: Date;

  @Column({ name: 'last_report_at', type: Date })
  lastReportAt!: Date;

  @Column({ name: 'finished_at', type: Date, nullable: true })
  finishedAt!: Date | null;

  /** The latest refused `/api/config` of another device for this unit (ImpersonationWarning): what it sent. */
  @Column({ name: 'impersonation_serial', type: 'varchar', length: 16, nullable: true })
  impersonationSerial!: string | null;

  @Column({ name: 'impersonation_mac', type: 'varchar', length: 17, nullable: true })
  impersonationMac!: string | null;

  @Column({ name: 'impersonation_ip', type: 'varchar', length: 45, nullable: true })
  impersonationIp!: string | null;

  @Column({ name: 'impersonation_at', type: Date, nullable: true })
  impersonationAt!: Date | null;

  /**
   * The batch the unit's hostname was handed out through (kept when the unit asks again), or
   * null: the wall view filters by it and labels are printed per batch.
   */
  @Column({ name: 'batch_id', type: 'integer', nullable: true })
  batchId!: number | null;
  /** The first boot after success (BootConfirmation): null before success and for installs older than it. */
  @Column({ name: 'boot_state', type: 'varchar', length: 12, nullable: true })
  bootState!: BootState | null;

  @Column({ name: 'booted_at', type: Date, nullable: true })
  bootedAt!: Date | null;

  /** What the unit said about itself when it confirmed its boot (BootedUnitFacts). */
  @Column({ name: 'boot_hostname', type: 'varchar', length: 253, nullable: true })
  bootHostname!: string | null;

  @Column({ name: 'boot_machine_id', type: 'varchar', length: 64, nullable: true })
  bootMachineId!: string | null;

  @Column({ name: 'boot_image_version', type: 'varchar', length: 200, nullable: true })
  bootImageVersion!: string | null;

  @Column({ name: 'boot_kernel', type: 'varchar', length: 200, nullable: true })
  bootKernel!: string | null;

  @Column({ name: 'boot_address', type: 'varchar', length: 45, nullable: true })
  bootAddress!: string | null;

  @OneToMany(() => DeploymentEvent, (event) => event.deployment)
  events?: DeploymentEvent[];
}

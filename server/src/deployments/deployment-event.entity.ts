import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { DeploymentEventKind, DeploymentStatus } from '@rpi-deploy/contracts';
import { bigintAsNumber } from '../database/bigint-transformer';
import type { Deployment } from './deployment.entity';

/**
 * One status report (or server-side decision such as the silence timeout), as it came; or a
 * refused impersonation of the unit (kind `impersonation`, status = the deployment's at the time).
 */
@Entity({ name: 'deployment_events' })
@Index('IDX_deployment_events_deployment', ['deploymentId', 'id'])
export class DeploymentEvent {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'deployment_id', type: 'varchar', length: 36 })
  deploymentId!: string;

  @ManyToOne('Deployment', 'events', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'deployment_id' })
  deployment?: Deployment;

  @Column({ type: 'varchar', length: 16, default: 'status' })
  kind!: DeploymentEventKind;

  @Column({ type: 'varchar', length: 12 })
  status!: DeploymentStatus;

  @Column({ type: 'integer', nullable: true })
  progress!: number | null;

  @Column({ name: 'bytes_done', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  bytesDone!: number | null;

  @Column({ name: 'bytes_total', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  bytesTotal!: number | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  message!: string | null;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  error!: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}

import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { UnitCommandName, UnitCommandState } from '@rpi-deploy/contracts';
import { Deployment } from '../deployment.entity';

/** An operator's command for a failed unit that waits: queued, delivered in a poll's answer, done when acknowledged. */
@Entity({ name: 'unit_commands' })
@Index('IDX_unit_commands_deployment', ['deploymentId'])
export class UnitCommand {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'deployment_id', type: 'varchar', length: 36 })
  deploymentId!: string;

  /** Deleting a deployment deletes its commands. */
  @ManyToOne(() => Deployment, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'deployment_id' })
  deployment?: Deployment;

  @Column({ type: 'varchar', length: 12 })
  command!: UnitCommandName;

  @Column({ type: 'varchar', length: 12 })
  state!: UnitCommandState;

  @Column({ name: 'requested_by', type: 'varchar', length: 64 })
  requestedBy!: string;

  @Column({ name: 'requested_at', type: Date })
  requestedAt!: Date;

  @Column({ name: 'delivered_at', type: Date, nullable: true })
  deliveredAt!: Date | null;

  @Column({ name: 'done_at', type: Date, nullable: true })
  doneAt!: Date | null;
}

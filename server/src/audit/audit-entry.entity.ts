import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { AuditAction, AuditTargetType } from '@rpi-deploy/contracts';

/** One change on the management side (or a login, failed login, logout). Written once, never updated. */
@Index('IDX_audit_entries_at', ['at'])
@Index('IDX_audit_entries_actor', ['actor'])
@Index('IDX_audit_entries_action', ['action'])
@Entity({ name: 'audit_entries' })
export class AuditEntry {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: Date })
  at!: Date;

  /** No foreign key: the record outlives whatever happens to the account, and failed logins name unknown users. */
  @Column({ name: 'user_id', type: 'integer', nullable: true })
  userId!: number | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  actor!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ type: 'varchar', length: 40 })
  action!: AuditAction;

  @Column({ name: 'target_type', type: 'varchar', length: 20, nullable: true })
  targetType!: AuditTargetType | null;

  @Column({ name: 'target_id', type: 'varchar', length: 128, nullable: true })
  targetId!: string | null;

  /** JSON text (redacted); null when there was no state. */
  @Column({ type: 'text', nullable: true })
  before!: string | null;

  @Column({ type: 'text', nullable: true })
  after!: string | null;
}

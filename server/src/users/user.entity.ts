import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { DashboardView, Role } from '@rpi-deploy/contracts';

@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 32, unique: true })
  username!: string;

  /** argon2id hash in PHC string format (algorithm, parameters and salt included). */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: Role;

  @Column({ type: 'boolean', default: false })
  disabled!: boolean;

  /** Bumped on password change or disable: tokens issued before stop working at once. */
  @Column({ name: 'token_version', type: 'integer', default: 0 })
  tokenVersion!: number;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt!: Date;

  @Column({ name: 'last_login_at', nullable: true, type: Date })
  lastLoginAt!: Date | null;

  /** The dashboard view this user chose (UserPreferencesDto), kept here so it follows them across browsers. */
  @Column({ name: 'dashboard_view', type: 'varchar', length: 8, default: 'cards' })
  dashboardView!: DashboardView;
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 18, the dashboard at fleet scale: each user's choice of dashboard view (cards or wall)
 * follows them across browsers, and a deployment remembers the batch its unit came through, so
 * the wall can filter by batch and labels can be printed for one.
 */
export class WallAndLabels1764750000000 implements MigrationInterface {
  name = 'WallAndLabels1764750000000';

  // Plain ALTERs on both databases: TypeORM's addColumn would rebuild the SQLite tables.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD COLUMN "dashboard_view" varchar(8) NOT NULL DEFAULT 'cards'`);
    await queryRunner.query('ALTER TABLE "deployments" ADD COLUMN "batch_id" integer');
    await queryRunner.query('CREATE INDEX "IDX_deployments_batch" ON "deployments" ("batch_id")');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_deployments_batch"');
    await queryRunner.query('ALTER TABLE "deployments" DROP COLUMN "batch_id"');
    await queryRunner.query('ALTER TABLE "users" DROP COLUMN "dashboard_view"');
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What each install fetched, wrote and reused (issue 16: the chunk store's delta installs). */
export class AddDeploymentTransfer1764720000000 implements MigrationInterface {
  name = 'AddDeploymentTransfer1764720000000';

  // Plain ALTERs on both databases: TypeORM's addColumn would rebuild the SQLite table.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "deployments" ADD COLUMN "bytes_fetched" bigint');
    await queryRunner.query('ALTER TABLE "deployments" ADD COLUMN "bytes_written" bigint');
    await queryRunner.query('ALTER TABLE "deployments" ADD COLUMN "chunks_reused" integer');
    await queryRunner.query('ALTER TABLE "deployments" ADD COLUMN "chunks_total" integer');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['chunks_total', 'chunks_reused', 'bytes_written', 'bytes_fetched']) {
      await queryRunner.query(`ALTER TABLE "deployments" DROP COLUMN "${column}"`);
    }
  }
}

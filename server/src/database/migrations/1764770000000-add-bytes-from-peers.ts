import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Of the bytes an install fetched, those other units served (issue 17: peers). */
export class AddBytesFromPeers1764770000000 implements MigrationInterface {
  name = 'AddBytesFromPeers1764770000000';

  // A plain ALTER on both databases: TypeORM's addColumn would rebuild the SQLite table.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "deployments" ADD COLUMN "bytes_from_peers" bigint');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "deployments" DROP COLUMN "bytes_from_peers"');
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A probe per chunk (the SHA-256 of its first 4 KiB, shortened): installers read a card's whole
 * chunk range only where the probe matches. Chunks stored before keep no probe and are read whole.
 */
export class AddChunkProbes1764890000000 implements MigrationInterface {
  name = 'AddChunkProbes1764890000000';

  // A plain ALTER on both databases: TypeORM's addColumn would rebuild the SQLite table.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "chunks" ADD COLUMN "probe" varchar(16)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "chunks" DROP COLUMN "probe"');
  }
}

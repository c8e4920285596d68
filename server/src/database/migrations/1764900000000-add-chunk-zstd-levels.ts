import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The zstd level each chunk's frame is at: captured chunks are stored at a fast level first and
 * recompressed in the background (ChunkRecompression), which picks up the ones still below the
 * store's level after a restart. Null: stored before levels were recorded, at the store's level.
 */
export class AddChunkZstdLevels1764900000000 implements MigrationInterface {
  name = 'AddChunkZstdLevels1764900000000';

  // A plain ALTER on both databases: TypeORM's addColumn would rebuild the SQLite table.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "chunks" ADD COLUMN "zstd_level" integer');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "chunks" DROP COLUMN "zstd_level"');
  }
}

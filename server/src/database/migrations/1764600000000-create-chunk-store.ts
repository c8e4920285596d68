import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The chunk store (issue 16): which chunks exist and which images use them. Images uploaded
 * before it keep `chunk_count` null and are served the old way until converted.
 */
export class CreateChunkStore1764600000000 implements MigrationInterface {
  name = 'CreateChunkStore1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'chunks',
        columns: [
          { name: 'sha256', type: 'varchar', length: '64', isPrimary: true },
          { name: 'stored_size', type: 'bigint' },
          { name: 'length', type: 'integer' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'image_chunks',
        columns: [
          { name: 'image_id', type: 'integer', isPrimary: true },
          { name: 'image_offset', type: 'bigint', isPrimary: true },
          { name: 'length', type: 'integer' },
          { name: 'sha256', type: 'varchar', length: '64' },
        ],
        // "Which images use this chunk", asked for every chunk a delete may free.
        indices: [new TableIndex({ name: 'IDX_image_chunks_sha256', columnNames: ['sha256'] })],
      }),
    );
    // A plain ALTER on both databases: TypeORM's addColumn would rebuild the SQLite table.
    await queryRunner.query('ALTER TABLE "images" ADD COLUMN "chunk_count" integer');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "images" DROP COLUMN "chunk_count"');
    await queryRunner.dropTable('image_chunks');
    await queryRunner.dropTable('chunks');
  }
}

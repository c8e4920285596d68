import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Patch frames of the chunk store (issue 16): a changed chunk against the one its range held before. */
export class CreateChunkPatches1764760000000 implements MigrationInterface {
  name = 'CreateChunkPatches1764760000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'chunk_patches',
        columns: [
          { name: 'sha256', type: 'varchar', length: '64', isPrimary: true },
          { name: 'base_sha256', type: 'varchar', length: '64', isPrimary: true },
          { name: 'stored_size', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('chunk_patches');
  }
}

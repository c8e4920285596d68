import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { booleanDefault, dateTimeType, nowDefault } from './portable-types';

export class CreateImages1764300000000 implements MigrationInterface {
  name = 'CreateImages1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const dateTime = dateTimeType(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'images',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'product', type: 'varchar', length: '8' },
          { name: 'version', type: 'varchar', length: '64' },
          { name: 'description', type: 'varchar', length: '500', isNullable: true },
          { name: 'filename', type: 'varchar', length: '64', isUnique: true },
          { name: 'size', type: 'bigint' },
          { name: 'sha256', type: 'varchar', length: '64' },
          { name: 'upload_compression', type: 'varchar', length: '8' },
          { name: 'upload_size', type: 'bigint' },
          { name: 'mapped_bytes', type: 'bigint' },
          { name: 'bmap_sha256', type: 'varchar', length: '64' },
          { name: 'partition_table', type: 'text' },
          { name: 'uploaded_by', type: 'varchar', length: '32' },
          { name: 'uploaded_at', type: dateTime, default: nowDefault(queryRunner) },
          { name: 'active', type: 'boolean', default: booleanDefault(queryRunner, false) },
          { name: 'activated_at', type: dateTime, isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'UQ_images_product_version', columnNames: ['product', 'version'], isUnique: true }),
          // Exactly one active image per product, enforced by the database too.
          new TableIndex({ name: 'UQ_images_one_active', columnNames: ['product'], isUnique: true, where: '"active"' }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('images');
  }
}

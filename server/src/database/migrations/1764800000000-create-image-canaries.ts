import { Table, TableForeignKey, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dateTimeType } from './portable-types';

/** Canary of a new image version (issue 20): at most one per product. */
export class CreateImageCanaries1764800000000 implements MigrationInterface {
  name = 'CreateImageCanaries1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'image_canaries',
        columns: [
          { name: 'product', type: 'varchar', length: '8', isPrimary: true },
          { name: 'image_id', type: 'integer' },
          { name: 'unit_limit', type: 'integer', isNullable: true },
          { name: 'assigned', type: 'integer', default: 0 },
          { name: 'serials', type: 'text' },
          { name: 'started_by', type: 'varchar', length: '32' },
          { name: 'started_at', type: dateTimeType(queryRunner) },
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['image_id'],
            referencedTableName: 'images',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('image_canaries');
  }
}

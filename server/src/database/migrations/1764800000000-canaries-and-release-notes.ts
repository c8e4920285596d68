import { Table, TableColumn, TableForeignKey, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dateTimeType } from './portable-types';

/** Canary of a new image version (issue 20), at most one per product; release notes and installed packages of each image. */
export class CanariesAndReleaseNotes1764800000000 implements MigrationInterface {
  name = 'CanariesAndReleaseNotes1764800000000';

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
    await queryRunner.addColumns('images', [
      new TableColumn({ name: 'notes', type: 'text', isNullable: true }),
      new TableColumn({ name: 'packages', type: 'text', isNullable: true }),
      new TableColumn({ name: 'packages_read_at', type: dateTimeType(queryRunner), isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns('images', ['notes', 'packages', 'packages_read_at']);
    await queryRunner.dropTable('image_canaries');
  }
}

import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dateTimeType, nowDefault } from './portable-types';

/**
 * Issue 20: capture. Units marked to capture their card on their next netboot, and on an image
 * the serial of the unit it was captured from.
 */
export class Capture1764830000000 implements MigrationInterface {
  name = 'Capture1764830000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'capture_marks',
        columns: [
          { name: 'serial', type: 'varchar', length: '8', isPrimary: true },
          { name: 'product', type: 'varchar', length: '8' },
          { name: 'version', type: 'varchar', length: '64' },
          { name: 'marked_by', type: 'varchar', length: '32' },
          { name: 'marked_at', type: dateTimeType(queryRunner), default: nowDefault(queryRunner) },
        ],
      }),
    );
    // A plain ALTER on both databases: TypeORM's addColumn would rebuild the SQLite table.
    await queryRunner.query('ALTER TABLE "images" ADD COLUMN "captured_from" varchar(16)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "images" DROP COLUMN "captured_from"');
    await queryRunner.dropTable('capture_marks');
  }
}

import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dateTimeType, nowDefault } from './portable-types';

export class CreateNetbootUnits1764500000000 implements MigrationInterface {
  name = 'CreateNetbootUnits1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'netboot_units',
        columns: [
          { name: 'serial', type: 'varchar', length: '8', isPrimary: true },
          { name: 'product', type: 'varchar', length: '8', isNullable: true },
          { name: 'venue', type: 'varchar', length: '4', isNullable: true },
          { name: 'created_at', type: dateTimeType(queryRunner), default: nowDefault(queryRunner) },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('netboot_units');
  }
}

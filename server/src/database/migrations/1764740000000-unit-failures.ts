import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dateTimeType } from './portable-types';

/** Issue 18: why a unit failed (its failure code) and the operator commands queued for waiting units. */
export class UnitFailures1764740000000 implements MigrationInterface {
  name = 'UnitFailures1764740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A plain ALTER on both databases: TypeORM's addColumn would rebuild the SQLite table.
    await queryRunner.query('ALTER TABLE "deployments" ADD COLUMN "failure_code" varchar(24)');
    await queryRunner.createTable(
      new Table({
        name: 'unit_commands',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'deployment_id', type: 'varchar', length: '36' },
          { name: 'command', type: 'varchar', length: '12' },
          { name: 'state', type: 'varchar', length: '12' },
          { name: 'requested_by', type: 'varchar', length: '64' },
          { name: 'requested_at', type: dateTimeType(queryRunner) },
          { name: 'delivered_at', type: dateTimeType(queryRunner), isNullable: true },
          { name: 'done_at', type: dateTimeType(queryRunner), isNullable: true },
        ],
        indices: [new TableIndex({ name: 'IDX_unit_commands_deployment', columnNames: ['deployment_id'] })],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['deployment_id'],
            referencedTableName: 'deployments',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('unit_commands');
    await queryRunner.query('ALTER TABLE "deployments" DROP COLUMN "failure_code"');
  }
}

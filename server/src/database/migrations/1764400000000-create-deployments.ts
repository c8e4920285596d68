import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dateTimeType, nowDefault } from './portable-types';

export class CreateDeployments1764400000000 implements MigrationInterface {
  name = 'CreateDeployments1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const dateTime = dateTimeType(queryRunner);
    const now = nowDefault(queryRunner);
    const nullableBigint = (name: string) => ({ name, type: 'bigint', isNullable: true });
    await queryRunner.createTable(
      new Table({
        name: 'deployments',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'status', type: 'varchar', length: '12' },
          { name: 'hostname', type: 'varchar', length: '32' },
          { name: 'product', type: 'varchar', length: '8' },
          { name: 'venue_id', type: 'integer' },
          { name: 'serial', type: 'varchar', length: '16' },
          { name: 'mac', type: 'varchar', length: '17' },
          { name: 'ip', type: 'varchar', length: '45', isNullable: true },
          { name: 'model', type: 'varchar', length: '100', isNullable: true },
          nullableBigint('storage_bytes'),
          { name: 'image_id', type: 'integer', isNullable: true },
          { name: 'image_version', type: 'varchar', length: '64' },
          { name: 'progress', type: 'integer', default: 0 },
          nullableBigint('bytes_done'),
          nullableBigint('bytes_total'),
          nullableBigint('download_bps'),
          nullableBigint('write_bps'),
          nullableBigint('verify_bps'),
          { name: 'message', type: 'varchar', length: '500', isNullable: true },
          { name: 'error', type: 'varchar', length: '1000', isNullable: true },
          { name: 'started_at', type: dateTime, default: now },
          { name: 'last_report_at', type: dateTime },
          { name: 'finished_at', type: dateTime, isNullable: true },
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['venue_id'],
            referencedTableName: 'venues',
            referencedColumnNames: ['id'],
            onDelete: 'RESTRICT',
          }),
        ],
        indices: [
          new TableIndex({ name: 'IDX_deployments_status', columnNames: ['status'] }),
          new TableIndex({ name: 'IDX_deployments_started', columnNames: ['started_at'] }),
          new TableIndex({ name: 'IDX_deployments_serial', columnNames: ['serial'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'deployment_events',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'deployment_id', type: 'varchar', length: '36' },
          { name: 'status', type: 'varchar', length: '12' },
          { name: 'progress', type: 'integer', isNullable: true },
          nullableBigint('bytes_done'),
          nullableBigint('bytes_total'),
          { name: 'message', type: 'varchar', length: '500', isNullable: true },
          { name: 'error', type: 'varchar', length: '1000', isNullable: true },
          { name: 'created_at', type: dateTime, default: now },
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['deployment_id'],
            referencedTableName: 'deployments',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
        indices: [new TableIndex({ name: 'IDX_deployment_events_deployment', columnNames: ['deployment_id', 'id'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('deployment_events');
    await queryRunner.dropTable('deployments');
  }
}

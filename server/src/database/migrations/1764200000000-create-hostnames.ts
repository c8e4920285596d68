import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dateTimeType, nowDefault } from './portable-types';

const ASSIGNED_ONLY = `"status" = 'assigned'`;

export class CreateHostnames1764200000000 implements MigrationInterface {
  name = 'CreateHostnames1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const dateTime = dateTimeType(queryRunner);
    const now = nowDefault(queryRunner);
    const id = {
      name: 'id',
      type: 'integer',
      isPrimary: true,
      isGenerated: true,
      generationStrategy: 'increment' as const,
    };
    const venueForeignKey = () =>
      new TableForeignKey({
        columnNames: ['venue_id'],
        referencedTableName: 'venues',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      });

    await queryRunner.createTable(
      new Table({
        name: 'venues',
        columns: [
          id,
          { name: 'code', type: 'varchar', length: '4', isUnique: true },
          { name: 'name', type: 'varchar', length: '120' },
          { name: 'location', type: 'varchar', length: '200', isNullable: true },
          { name: 'contact_email', type: 'varchar', length: '254', isNullable: true },
          { name: 'created_at', type: dateTime, default: now },
          { name: 'updated_at', type: dateTime, default: now },
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'hostnames',
        columns: [
          id,
          { name: 'venue_id', type: 'integer' },
          { name: 'product', type: 'varchar', length: '8' },
          { name: 'identifier', type: 'varchar', length: '8' },
          { name: 'hostname', type: 'varchar', length: '32', isUnique: true },
          { name: 'status', type: 'varchar', length: '12' },
          { name: 'device_serial', type: 'varchar', length: '16', isNullable: true },
          { name: 'device_mac', type: 'varchar', length: '17', isNullable: true },
          { name: 'assigned_at', type: dateTime, isNullable: true },
          { name: 'created_at', type: dateTime, default: now },
        ],
        foreignKeys: [venueForeignKey()],
        indices: [
          new TableIndex({
            name: 'UQ_hostnames_identifier',
            columnNames: ['venue_id', 'product', 'identifier'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'UQ_hostnames_assigned_serial',
            columnNames: ['venue_id', 'product', 'device_serial'],
            isUnique: true,
            where: ASSIGNED_ONLY,
          }),
          new TableIndex({
            name: 'UQ_hostnames_assigned_mac',
            columnNames: ['venue_id', 'product', 'device_mac'],
            isUnique: true,
            where: ASSIGNED_ONLY,
          }),
          new TableIndex({ name: 'IDX_hostnames_pick', columnNames: ['venue_id', 'product', 'status', 'identifier'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'batches',
        columns: [
          id,
          { name: 'venue_id', type: 'integer' },
          { name: 'product', type: 'varchar', length: '8' },
          { name: 'count', type: 'integer' },
          { name: 'assigned', type: 'integer', default: 0 },
          { name: 'priority', type: 'integer', default: 0 },
          { name: 'status', type: 'varchar', length: '12' },
          { name: 'created_at', type: dateTime, default: now },
          { name: 'started_at', type: dateTime, isNullable: true },
          { name: 'finished_at', type: dateTime, isNullable: true },
        ],
        foreignKeys: [venueForeignKey()],
        indices: [new TableIndex({ name: 'IDX_batches_status_priority', columnNames: ['status', 'priority'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('batches');
    await queryRunner.dropTable('hostnames');
    await queryRunner.dropTable('venues');
  }
}

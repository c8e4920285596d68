import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dateTimeType } from './portable-types';

export class CreateAuditEntries1764700000000 implements MigrationInterface {
  name = 'CreateAuditEntries1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'audit_entries',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'at', type: dateTimeType(queryRunner) },
          { name: 'user_id', type: 'integer', isNullable: true },
          { name: 'actor', type: 'varchar', length: '64', isNullable: true },
          { name: 'ip', type: 'varchar', length: '64', isNullable: true },
          { name: 'action', type: 'varchar', length: '40' },
          { name: 'target_type', type: 'varchar', length: '20', isNullable: true },
          { name: 'target_id', type: 'varchar', length: '128', isNullable: true },
          { name: 'before', type: 'text', isNullable: true },
          { name: 'after', type: 'text', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'IDX_audit_entries_at', columnNames: ['at'] }),
          new TableIndex({ name: 'IDX_audit_entries_actor', columnNames: ['actor'] }),
          new TableIndex({ name: 'IDX_audit_entries_action', columnNames: ['action'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_entries');
  }
}

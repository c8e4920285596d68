import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { booleanDefault, dateTimeType, nowDefault } from './portable-types';

export class CreateUsers1764100000000 implements MigrationInterface {
  name = 'CreateUsers1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const dateTime = dateTimeType(queryRunner);
    const now = nowDefault(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'username', type: 'varchar', length: '32', isUnique: true },
          { name: 'password_hash', type: 'varchar', length: '255' },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'disabled', type: 'boolean', default: booleanDefault(queryRunner, false) },
          { name: 'token_version', type: 'integer', default: 0 },
          { name: 'created_at', type: dateTime, default: now },
          { name: 'updated_at', type: dateTime, default: now },
          { name: 'last_login_at', type: dateTime, isNullable: true },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('users');
  }
}

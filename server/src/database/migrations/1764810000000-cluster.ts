import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Several instances on one PostgreSQL (issue 21): what used to live in one process's memory or
 * DATA_DIR moves to the database. `login_failures` is the login limiter's count, `server_secrets`
 * the token-signing secret every instance shares, and on PostgreSQL `socket_io_attachments` the
 * table @socket.io/postgres-adapter keeps live events too large for one NOTIFY in.
 */
export class Cluster1764810000000 implements MigrationInterface {
  name = 'Cluster1764810000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'login_failures',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'key', type: 'varchar', length: '400' },
          { name: 'at_ms', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createIndex('login_failures', new TableIndex({ columnNames: ['key', 'at_ms'] }));
    await queryRunner.createTable(
      new Table({
        name: 'server_secrets',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true },
          { name: 'value', type: 'varchar', length: '200' },
        ],
      }),
    );
    if (queryRunner.connection.options.type === 'postgres') {
      // As the adapter's documentation creates it.
      await queryRunner.query(
        'CREATE TABLE socket_io_attachments (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)',
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') await queryRunner.dropTable('socket_io_attachments');
    await queryRunner.dropTable('server_secrets');
    await queryRunner.dropTable('login_failures');
  }
}

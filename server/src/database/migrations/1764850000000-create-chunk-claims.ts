import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21: the chunks uploads in progress claim, visible to every instance on PostgreSQL (see
 * ChunkClaims). SQLite serves one process, which keeps its claims in memory: no table there.
 */
export class CreateChunkClaims1764850000000 implements MigrationInterface {
  name = 'CreateChunkClaims1764850000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'postgres') return;
    await queryRunner.query(
      'CREATE TABLE chunk_claims (sha256 varchar(64) NOT NULL, holder varchar(16) NOT NULL, ' +
        'claimed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sha256, holder))',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') await queryRunner.query('DROP TABLE chunk_claims');
  }
}

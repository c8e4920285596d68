import type { QueryRunner } from 'typeorm';

/**
 * Column types that differ between the two supported databases, matching what TypeORM
 * picks for `Date` properties (so entity metadata and migrations agree).
 */
export function dateTimeType(queryRunner: QueryRunner): string {
  return queryRunner.connection.driver.options.type === 'postgres' ? 'timestamp' : 'datetime';
}

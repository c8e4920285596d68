import type { QueryRunner } from 'typeorm';

/**
 * Column types that differ between the two supported databases, matching what TypeORM
 * picks for `Date` properties (so entity metadata and migrations agree).
 */
export function dateTimeType(queryRunner: QueryRunner): string {
  return queryRunner.connection.driver.options.type === 'postgres' ? 'timestamp' : 'datetime';
}

/** The "now" default TypeORM itself uses for CreateDateColumn/UpdateDateColumn on each database. */
export function nowDefault(queryRunner: QueryRunner): string {
  return queryRunner.connection.driver.options.type === 'postgres' ? 'now()' : "datetime('now')";
}

/** A boolean column default as TypeORM writes it (SQLite stores booleans as 0/1). */
export function booleanDefault(queryRunner: QueryRunner, value: boolean): boolean | number {
  return queryRunner.connection.driver.options.type === 'postgres' ? value : Number(value);
}

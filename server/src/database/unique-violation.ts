import { QueryFailedError } from 'typeorm';

/** True when a write failed on a unique index (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE). */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = (error.driverError as { code?: string } | undefined)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * True when a write failed on a foreign key: PostgreSQL 23503; SQLite reports ON DELETE
 * RESTRICT as SQLITE_CONSTRAINT_TRIGGER, other foreign-key failures as ..._FOREIGNKEY.
 */
export function isForeignKeyViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const { code, message } = (error.driverError ?? {}) as { code?: string; message?: string };
  return code === '23503' || (code?.startsWith('SQLITE_CONSTRAINT') === true && /FOREIGN KEY/.test(message ?? ''));
}

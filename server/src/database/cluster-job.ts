import type { DataSource, EntityManager } from 'typeorm';

/**
 * Advisory-lock key space of the periodic jobs. The others: hostnames 1 and 2, a unit's configs 3,
 * migrations 5, the login limiter 6, chunk claims 7 (docs/interfaces.md lists them).
 */
const JOB_LOCK_SPACE = 4;

/**
 * Whether this instance runs a periodic job's tick now, called first in the job's transaction.
 * Several instances on one PostgreSQL all tick: the one that gets the job's advisory lock runs
 * it, the others skip that tick instead of waiting (the lock ends with the transaction). SQLite
 * has one process, which always runs it.
 */
export async function runsJobHere(manager: EntityManager, job: string): Promise<boolean> {
  if (manager.connection.options.type !== 'postgres') return true;
  const [row] = await manager.query<Array<{ locked: boolean }>>(
    'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked',
    [JOB_LOCK_SPACE, job],
  );
  return row.locked;
}

/**
 * Runs a long job (minutes) on this instance unless another one runs it now: on PostgreSQL the
 * job's advisory lock is held by a transaction of its own that stays open, and does nothing
 * else, until the job ends (the job's writes go through other connections). Resolves with
 * whether it ran here. SQLite has one process, which always runs it.
 */
export async function runJobAlone(dataSource: DataSource, job: string, work: () => Promise<void>): Promise<boolean> {
  if (dataSource.options.type !== 'postgres') {
    await work();
    return true;
  }
  return dataSource.transaction(async (manager) => {
    if (!(await runsJobHere(manager, job))) return false;
    await work();
    return true;
  });
}

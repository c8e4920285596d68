import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** A database a test server can run on; `create` returns a fresh, empty one. */
export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  /** DATABASE_URL for a new empty database (undefined = SQLite in DATA_DIR). */
  create(): Promise<string | undefined>;
  dropAll(): Promise<void>;
}

const sqlite: TestDatabase = {
  name: 'sqlite',
  create: async () => undefined,
  dropAll: async () => undefined,
};

/**
 * PostgreSQL from TEST_POSTGRES_URL (infra/test/run-all.sh starts a throw-away cluster and sets
 * it). Each server gets its own database, dropped when the suite ends.
 */
function postgres(adminUrl: string): TestDatabase {
  const created: string[] = [];
  const withAdmin = async (sql: string) => {
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    name: 'postgres',
    async create() {
      const name = `rpi_test_${randomBytes(6).toString('hex')}`;
      await withAdmin(`CREATE DATABASE ${name}`);
      created.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async dropAll() {
      for (const name of created.splice(0)) await withAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * Both databases. Without TEST_POSTGRES_URL the PostgreSQL entry still exists and fails with
 * instructions: a missing database is a failed test, never a silently skipped one.
 */
export function testDatabases(): TestDatabase[] {
  const url = process.env['TEST_POSTGRES_URL'];
  if (url) return [sqlite, postgres(url)];
  const missing: TestDatabase = {
    name: 'postgres',
    create: () =>
      Promise.reject(
        new Error(
          'TEST_POSTGRES_URL is not set: run the suite with `npm test` (infra/test/run-all.sh starts ' +
            'PostgreSQL) or point TEST_POSTGRES_URL at a server where the user may CREATE DATABASE',
        ),
      ),
    dropAll: async () => undefined,
  };
  return [sqlite, missing];
}

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { ROOT, run } from './support';

export interface BenchPostgres {
  /** DATABASE_URL of a new, empty database. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A throw-away PostgreSQL cluster for a bench, started and removed by the test suite's own script
 * (infra/test/postgres.sh: a free loopback port, data in a temporary folder, fsync off).
 */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  const script = join(ROOT, 'infra/test/postgres.sh');
  const started = await run('bash', [
    '-c',
    `source "${script}" && postgres_start >&2 && echo "$TEST_POSTGRES_URL $PG_TEST_DIR $PG_TEST_BIN"`,
  ]);
  const [adminUrl, dir, bin] = started.trim().split(' ') as [string, string, string];
  return {
    async createDatabase() {
      const name = `rpi_bench_${randomBytes(5).toString('hex')}`;
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    stop: async () => {
      await run('bash', ['-c', `source "${script}" && PG_TEST_DIR="${dir}" PG_TEST_BIN="${bin}" postgres_stop`]);
    },
  };
}

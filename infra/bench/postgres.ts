import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ROOT, run } from './support';

export interface BenchPostgres {
  /** DATABASE_URL of a new, empty database. */
  createDatabase(): Promise<string>;
  /** The postmaster: its process tree is the database's CPU. */
  pid: number;
  stop(): Promise<void>;
}

/**
 * A throw-away PostgreSQL cluster for a bench, started and removed by the test suite's own script
 * (infra/test/postgres.sh: a free loopback port, data in a temporary folder, fsync off).
 */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  const script = join(ROOT, 'infra/test/postgres.sh');
  // BENCH_PG_STATEMENTS=FILE: what each statement cost the database over the bench, written to FILE.
  const extra = process.env['BENCH_PG_STATEMENTS']
    ? 'PG_TEST_EXTRA_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all" '
    : '';
  const started = await run('bash', [
    '-c',
    `source "${script}" && ${extra}postgres_start >&2 && echo "$TEST_POSTGRES_URL $PG_TEST_DIR $PG_TEST_BIN"`,
  ]);
  const [adminUrl, dir, bin] = started.trim().split(' ') as [string, string, string];
  const statsFile = process.env['BENCH_PG_STATEMENTS'];
  if (statsFile) await admin(adminUrl, (client) => client.query('CREATE EXTENSION pg_stat_statements'));
  const pid = Number(readFileSync(join(dir, 'data/postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    pid,
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
      if (statsFile) await writeStatements(adminUrl, statsFile);
      await run('bash', ['-c', `source "${script}" && PG_TEST_DIR="${dir}" PG_TEST_BIN="${bin}" postgres_stop`]);
    },
  };
}

async function admin<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The statements by total time, with calls, rows and mean time, as a tab-separated table. */
async function writeStatements(url: string, file: string): Promise<void> {
  const { rows } = await admin(url, (client) =>
    client.query<Record<string, string | number>>(
      `SELECT calls, round(total_exec_time::numeric, 1) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms, rows,
              left(regexp_replace(query, '\\s+', ' ', 'g'), 400) AS query
         FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 60`,
    ),
  );
  const lines = rows.map((row) => Object.values(row).join('\t'));
  writeFileSync(file, ['calls\ttotal_ms\tmean_ms\trows\tquery', ...lines].join('\n') + '\n');
}

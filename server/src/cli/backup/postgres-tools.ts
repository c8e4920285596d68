import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { CliError } from '../api-client';

const run = promisify(execFile);

/**
 * PostgreSQL's own tools do the dump and the restore: pg_dump takes a consistent snapshot while
 * the server writes, and its custom format restores with pg_restore into any newer server.
 */
export class PostgresTools {
  /** @param binFolder where pg_dump and pg_restore are (--pg-bin); PATH when not given. */
  constructor(
    private readonly databaseUrl: string,
    private readonly binFolder?: string,
  ) {}

  /** pg_dump of the whole database (custom format) into `file`. */
  async dump(file: string): Promise<void> {
    const server = await this.query<{ version: number }>(
      "SELECT current_setting('server_version_num')::int AS version",
      [],
    );
    const serverMajor = Math.floor((server[0]?.version ?? 0) / 10000);
    const toolMajor = await this.toolMajor('pg_dump');
    if (toolMajor < serverMajor) {
      throw new CliError(
        `pg_dump ${toolMajor} cannot dump a PostgreSQL ${serverMajor} server: install the client tools of ` +
          `version ${serverMajor} or newer (apt install postgresql-client-${serverMajor}) and give --pg-bin ` +
          `/usr/lib/postgresql/${serverMajor}/bin`,
      );
    }
    await this.runTool('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${file}`]);
  }

  /** pg_restore of a dump into this (empty) database, all or nothing. */
  async restore(file: string): Promise<void> {
    await this.toolMajor('pg_restore');
    await this.runTool('pg_restore', [
      '--no-owner',
      '--no-privileges',
      '--exit-on-error',
      '--single-transaction',
      file,
    ]);
  }

  /** Tables, views and sequences outside PostgreSQL's own schemas. */
  async relationCount(): Promise<number> {
    const rows = await this.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
         AND c.relkind IN ('r', 'p', 'v', 'm', 'S')`,
      [],
    );
    return rows[0]?.count ?? 0;
  }

  private async query<T>(sql: string, values: unknown[]): Promise<T[]> {
    const client = new Client({ connectionString: this.databaseUrl });
    try {
      await client.connect();
      return (await client.query(sql, values)).rows as T[];
    } catch (error) {
      throw new CliError(`PostgreSQL at ${this.redactedUrl()}: ${(error as Error).message}: check DATABASE_URL`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async toolMajor(tool: string): Promise<number> {
    try {
      const { stdout } = await run(this.toolPath(tool), ['--version']);
      const major = /\(PostgreSQL\) (\d+)/.exec(stdout)?.[1];
      if (!major) throw new CliError(`${tool} --version printed "${stdout.trim()}": is it PostgreSQL's ${tool}?`);
      return Number(major);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new CliError(
        `${tool} is not installed${this.binFolder ? ` in ${this.binFolder}` : ''}: install PostgreSQL's client tools ` +
          '(apt install postgresql-client) or give --pg-bin <folder holding pg_dump and pg_restore>',
      );
    }
  }

  /**
   * Runs a tool against the database. The password travels in PGPASSWORD, not on the command
   * line where `ps` would show it.
   */
  private async runTool(tool: string, args: string[]): Promise<void> {
    const url = new URL(this.databaseUrl);
    const password = decodeURIComponent(url.password);
    url.password = '';
    try {
      await run(this.toolPath(tool), [`--dbname=${url.toString()}`, ...args], {
        env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) },
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
      throw new CliError(`${tool} failed: ${stderr || (error as Error).message}`);
    }
  }

  private toolPath(tool: string): string {
    return this.binFolder ? join(this.binFolder, tool) : tool;
  }

  redactedUrl(): string {
    const url = new URL(this.databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  }
}

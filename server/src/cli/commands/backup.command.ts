import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { CliError } from '../api-client';
import { createBackup } from '../backup/backup';
import { restoreBackup } from '../backup/restore';
import type { ContextFactory } from '../context';

type Env = Record<string, string | undefined>;

interface LocalOptions {
  dataDir?: string;
  databaseUrl?: string;
  envFile?: string;
  pgBin?: string;
}

/**
 * `backup` and `restore` work on DATA_DIR and DATABASE_URL directly, on the server's machine,
 * not through the management API: the archive carries the JWT secret and TLS key, which the API
 * never hands out, a consistent database copy needs the database itself (SQLite's backup API,
 * pg_dump), images can be tens of GiB, and restore must run while no server does.
 */
export function backupCommands(context: ContextFactory, env: Env): Command[] {
  const backup = withLocalOptions(new Command('backup'))
    .description('back up the database, secrets and (--with-images) images into one archive, while the server runs')
    .requiredOption('--out <file>', 'archive to write (a .tar file; must not exist yet)')
    .option('--with-images', 'include the image and chunk files (can be large)')
    .addHelpText(
      'after',
      '\nRun on the server, as the service user, with its settings:\n' +
        '  sudo -u rpi-deploy rpi-deploy backup --env-file /etc/rpi-deploy/rpi-deploy.env --out /srv/backup/rpi-deploy-$(date +%F).tar\n' +
        '  DATA_DIR=/var/lib/rpi-deploy rpi-deploy backup --out backup.tar --with-images\n' +
        'PostgreSQL (DATABASE_URL) is dumped with pg_dump of the same or a newer major version (--pg-bin).',
    )
    .action(async (options: LocalOptions & { out: string; withImages?: boolean }, command: Command) => {
      const { output, json } = context(command);
      const settings = localSettings(options, env);
      const manifest = await createBackup({
        ...settings,
        out: options.out,
        withImages: options.withImages === true,
        progress: (line) => output.err(line),
      });
      if (json) output.out(JSON.stringify(manifest, null, 2));
    });

  const restore = withLocalOptions(new Command('restore'))
    .description('restore a backup into an empty data folder (and, for PostgreSQL, an empty database)')
    .argument('<file>', 'archive written by rpi-deploy backup')
    .option('--force', 'restore into a data folder that holds files already, replacing its database and secrets')
    .addHelpText(
      'after',
      '\nStop the server first. Examples:\n' +
        '  DATA_DIR=/var/lib/rpi-deploy-new rpi-deploy restore backup.tar\n' +
        '  DATA_DIR=/var/lib/rpi-deploy DATABASE_URL=postgres://rpi@db/rpi_new rpi-deploy restore backup.tar\n' +
        'A PostgreSQL backup goes into an empty database (createdb NAME), restored with pg_restore.',
    )
    .action(async (file: string, options: LocalOptions & { force?: boolean }, command: Command) => {
      const { output, json } = context(command);
      const settings = localSettings(options, env);
      const manifest = await restoreBackup({
        ...settings,
        file,
        force: options.force === true,
        progress: (line) => output.err(line),
      });
      if (json) output.out(JSON.stringify(manifest, null, 2));
    });

  return [backup, restore];
}

function withLocalOptions(command: Command): Command {
  return command
    .option('--data-dir <folder>', "the server's DATA_DIR (default: $DATA_DIR, else ./data)")
    .option('--database-url <url>', 'PostgreSQL database (default: $DATABASE_URL; none means SQLite in DATA_DIR)')
    .option('--env-file <file>', "read DATA_DIR and DATABASE_URL from the service's environment file")
    .option('--pg-bin <folder>', 'folder holding pg_dump, pg_restore (default: from PATH)');
}

/** Options first, then the environment file, then the environment: as the server reads them. */
function localSettings(options: LocalOptions, env: Env): { dataDir: string; databaseUrl?: string; pgBin?: string } {
  let fromFile: Env = {};
  if (options.envFile) {
    try {
      fromFile = parseEnv(readFileSync(options.envFile, 'utf8'));
    } catch (error) {
      throw new CliError(`Cannot read --env-file ${options.envFile}: ${(error as Error).message}`);
    }
  }
  const pick = (name: string) => fromFile[name] ?? env[name] ?? undefined;
  const databaseUrl = options.databaseUrl ?? pick('DATABASE_URL');
  return {
    dataDir: options.dataDir ?? pick('DATA_DIR') ?? './data',
    databaseUrl: databaseUrl?.trim() ? databaseUrl : undefined,
    pgBin: options.pgBin,
  };
}

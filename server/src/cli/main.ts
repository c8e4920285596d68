import { Command, CommanderError } from 'commander';
import { SERVER_VERSION } from '../version';
import { ApiClient, CliError } from './api-client';
import { auditCommand } from './commands/audit.command';
import { backupCommands } from './commands/backup.command';
import { batchCommand } from './commands/batch.command';
import { deploymentsCommand } from './commands/deployments.command';
import { hostnameCommand } from './commands/hostname.command';
import { imageCommand } from './commands/image.command';
import { kartsCommand } from './commands/karts.command';
import { labelsCommand } from './commands/labels.command';
import { netbootCommand } from './commands/netboot.command';
import { proxmoxCommand } from './commands/proxmox.command';
import { unitCommand } from './commands/unit.command';
import { userCommand } from './commands/user.command';
import { validateCommand } from './commands/validate.command';
import { venueCommand } from './commands/venue.command';
import type { ContextFactory } from './context';
import { processOutput, type CliOutput } from './output';

type Env = Record<string, string | undefined>;

/** `rpi-deploy`: scripts the running server through its management API. */
export function buildCli(output: CliOutput, env: Env): Command {
  const program = new Command('rpi-deploy')
    .description('Operator command line of the Raspberry Pi 5 deployment server')
    .version(SERVER_VERSION)
    // Options before a command belong to rpi-deploy, after it to the command: this lets
    // `image upload --version 1.4.0` mean the image version, not print ours.
    .enablePositionalOptions()
    .option('--url <url>', 'management API of the running server', env['RPI_DEPLOY_URL'] ?? 'http://127.0.0.1:5000')
    .option('--user <name>', 'log in as this user (with --password or RPI_DEPLOY_PASSWORD)')
    .option('--password <password>', 'password for --user')
    .option('--json', 'print JSON instead of text, for scripts')
    .addHelpText(
      'after',
      '\nGive these options before the command (rpi-deploy --json venue list).\n' +
        'Instead of --user/--password, RPI_DEPLOY_TOKEN may hold an access token.',
    )
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (text) => output.out(text), writeErr: (text) => output.err(text) });

  const context: ContextFactory = (command) => {
    const options = command.optsWithGlobals<{ url: string; user?: string; password?: string; json?: boolean }>();
    return {
      api: new ApiClient({
        url: options.url,
        token: env['RPI_DEPLOY_TOKEN'],
        user: options.user,
        password: options.password ?? env['RPI_DEPLOY_PASSWORD'],
      }),
      output,
      json: options.json === true,
    };
  };
  program.addCommand(venueCommand(context));
  program.addCommand(kartsCommand(context));
  program.addCommand(batchCommand(context));
  program.addCommand(imageCommand(context));
  program.addCommand(deploymentsCommand(context));
  program.addCommand(netbootCommand(context, env));
  program.addCommand(validateCommand(context));
  program.addCommand(proxmoxCommand(context, env));
  program.addCommand(auditCommand(context));
  program.addCommand(userCommand(context, env));
  program.addCommand(hostnameCommand(context));
  program.addCommand(labelsCommand(context));
  program.addCommand(unitCommand(context));
  for (const command of backupCommands(context, env)) program.addCommand(command);

  // Subcommands print where the program prints and report errors by exception instead of
  // exiting, so runCli decides the exit code.
  program.exitOverride();
  const inherit = (parent: Command) =>
    parent.commands.forEach((command) => {
      command.copyInheritedSettings(parent);
      inherit(command);
    });
  inherit(program);
  return program;
}

/** Runs one command line; resolves to the process exit code. */
export async function runCli(
  args: string[],
  output: CliOutput = processOutput,
  env: Env = process.env,
): Promise<number> {
  const program = buildCli(output, env);
  if (args.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError) {
      output.err(`rpi-deploy: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`rpi-deploy: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
      process.exit(1);
    },
  );
}

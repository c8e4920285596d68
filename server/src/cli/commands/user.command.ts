import { Command, Option } from 'commander';
import { ROLES, type CreateUserRequest, type UpdateUserRequest, type UserDto } from '@rpi-deploy/contracts';
import { CliError } from '../api-client';
import type { CliContext, ContextFactory } from '../context';
import { printRows } from '../output';

type Env = Record<string, string | undefined>;

/** `rpi-deploy user ...`: the dashboard's user administration (admins only). */
export function userCommand(context: ContextFactory, env: Env): Command {
  const user = new Command('user')
    .description('user accounts and roles (needs an admin login)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  rpi-deploy --user admin user add alice --role operator --new-password "correct-horse-battery-7"\n' +
        '  rpi-deploy --user admin user set-role alice viewer\n' +
        '  rpi-deploy --user admin --json user list',
    );

  user
    .command('list')
    .description('list users with role, state and last login')
    .action(async (_options: object, command: Command) => {
      const { api, output, json } = context(command);
      printRows(
        output,
        await api.get<UserDto[]>('/api/users'),
        [
          ['user', (u) => u.username],
          ['role', (u) => u.role],
          ['state', (u) => (u.disabled ? 'disabled' : 'enabled')],
          ['created', (u) => u.createdAt],
          ['last login', (u) => u.lastLoginAt ?? 'never'],
        ],
        json,
      );
    });

  user
    .command('add')
    .description('create a user')
    .argument('<username>')
    .addOption(new Option('--role <role>', 'what the user may do').choices([...ROLES]).makeOptionMandatory())
    .option('--new-password <password>', "the user's password (or RPI_DEPLOY_NEW_PASSWORD, kept out of `ps`)")
    .action(async (username: string, options: { role: CreateUserRequest['role']; newPassword?: string }, command) => {
      const ctx = context(command);
      const body: CreateUserRequest = { username, role: options.role, password: newPassword(options, env) };
      printUser(ctx, await ctx.api.post<UserDto>('/api/users', body), 'Created');
    });

  user
    .command('set-role')
    .description("change a user's role (signs them out everywhere)")
    .argument('<username>')
    .argument('<role>', ROLES.join(' | '))
    .action(async (username: string, role: string, _options: object, command: Command) => {
      if (!(ROLES as readonly string[]).includes(role)) {
        throw new CliError(`Unknown role "${role}": give one of ${ROLES.join(', ')}`);
      }
      const ctx = context(command);
      printUser(ctx, await update(ctx, username, { role: role as UpdateUserRequest['role'] }), 'Updated');
    });

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    user
      .command(name)
      .description(disabled ? 'stop a user from logging in (ends their sessions)' : 'let a disabled user log in again')
      .argument('<username>')
      .action(async (username: string, _options: object, command: Command) => {
        const ctx = context(command);
        printUser(ctx, await update(ctx, username, { disabled }), 'Updated');
      });
  }

  user
    .command('set-password')
    .description("set a user's password (signs them out everywhere)")
    .argument('<username>')
    .option('--new-password <password>', 'the new password (or RPI_DEPLOY_NEW_PASSWORD, kept out of `ps`)')
    .action(async (username: string, options: { newPassword?: string }, command: Command) => {
      const ctx = context(command);
      const body = { password: newPassword(options, env) };
      printUser(
        ctx,
        await ctx.api.post<UserDto>(`/api/users/${encodeURIComponent(username)}/password`, body),
        'New password for',
      );
    });

  return user;
}

function newPassword(options: { newPassword?: string }, env: Env): string {
  const password = options.newPassword ?? env['RPI_DEPLOY_NEW_PASSWORD'];
  if (!password) throw new CliError('No password given: pass --new-password or set RPI_DEPLOY_NEW_PASSWORD');
  return password;
}

function update(ctx: CliContext, username: string, body: UpdateUserRequest): Promise<UserDto> {
  return ctx.api.patch<UserDto>(`/api/users/${encodeURIComponent(username)}`, body);
}

function printUser({ output, json }: CliContext, user: UserDto, verb: string): void {
  output.out(
    json ? JSON.stringify(user, null, 2) : `${verb} ${user.username}: ${user.role}${user.disabled ? ', disabled' : ''}`,
  );
}

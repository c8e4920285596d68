import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import {
  normaliseBaseUrl,
  TOKEN_ID_PATTERN,
  USERNAME_WITH_REALM_PATTERN,
  type ProxmoxConnection,
  type ProxmoxCredentials,
} from '../client/proxmox-connection';
import { ProxmoxError } from '../client/proxmox-errors';

type Env = Record<string, string | undefined>;

/** What the connection flags hold once parsed (each falls back to its PROXMOX_* variable). */
export interface ConnectionFlags {
  host?: string;
  node?: string;
  tokenId?: string;
  tokenSecret?: string;
  tokenSecretFile?: string;
  user?: string;
  password?: string;
  passwordFile?: string;
  caFile?: string;
  insecure?: boolean;
  taskPoll: number;
  dryRun?: boolean;
}

/** The flags every `proxmox` subcommand takes to reach Proxmox VE. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option('--host <url>', 'Proxmox VE API, e.g. https://pve.example.net:8006 (env PROXMOX_URL)')
    .option('--node <name>', 'Proxmox node the VM lives on (env PROXMOX_NODE)')
    .option('--token-id <id>', 'API token USER@REALM!TOKENID (env PROXMOX_TOKEN_ID)')
    .option('--token-secret <uuid>', 'API token secret (env PROXMOX_TOKEN_SECRET)')
    .option('--token-secret-file <path>', 'read the token secret from this file (env PROXMOX_TOKEN_SECRET_FILE)')
    .option('--user <user@realm>', 'log in with a password instead of a token (env PROXMOX_USER)')
    .option('--password <password>', 'password for --user (env PROXMOX_PASSWORD)')
    .option('--password-file <path>', 'read the password from this file (env PROXMOX_PASSWORD_FILE)')
    .option('--ca-file <path>', "PEM of the CA that signed Proxmox's certificate (env PROXMOX_CA_FILE)")
    .option('--insecure', 'do not verify the TLS certificate (env PROXMOX_INSECURE=true)')
    .option('--task-poll <ms>', 'how often to ask about a running task, in milliseconds', positiveInt, 1000)
    .option('--dry-run', 'print the API calls (secrets masked) instead of making them');
}

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a positive whole number');
  return Number(value);
}

/**
 * The connection from flags, else PROXMOX_* variables, else files. Secrets come only from
 * these places and are never printed.
 */
export function resolveConnection(flags: ConnectionFlags, env: Env): { connection: ProxmoxConnection; node: string } {
  const pick = (flag: string | undefined, name: string) => flag ?? (env[name]?.trim() || undefined);
  const host = pick(flags.host, 'PROXMOX_URL');
  const node = pick(flags.node, 'PROXMOX_NODE');
  if (!host) throw new ProxmoxError('Say where Proxmox is: --host https://HOST:8006 (or PROXMOX_URL)');
  if (!node) throw new ProxmoxError('Say which node: --node NAME (or PROXMOX_NODE)');
  let url: string;
  try {
    url = normaliseBaseUrl(host);
  } catch (error) {
    throw new ProxmoxError((error as Error).message);
  }
  const caFile = pick(flags.caFile, 'PROXMOX_CA_FILE');
  const insecure = flags.insecure ?? ['1', 'true'].includes((env['PROXMOX_INSECURE'] ?? '').trim().toLowerCase());
  return {
    connection: {
      url,
      credentials: credentialsFrom(flags, pick),
      ca: caFile ? readSecretFile(caFile, '--ca-file') : undefined,
      insecure,
    },
    node,
  };
}

function credentialsFrom(
  flags: ConnectionFlags,
  pick: (flag: string | undefined, name: string) => string | undefined,
): ProxmoxCredentials {
  const tokenId = pick(flags.tokenId, 'PROXMOX_TOKEN_ID');
  const user = pick(flags.user, 'PROXMOX_USER');
  if (tokenId && user) throw new ProxmoxError('Give either an API token (--token-id) or a user (--user), not both');
  if (tokenId) {
    if (!TOKEN_ID_PATTERN.test(tokenId)) {
      throw new ProxmoxError(
        `--token-id must look like USER@REALM!TOKENID (e.g. root@pam!rpi-deploy), got "${tokenId}"`,
      );
    }
    const file = pick(flags.tokenSecretFile, 'PROXMOX_TOKEN_SECRET_FILE');
    const secret =
      pick(flags.tokenSecret, 'PROXMOX_TOKEN_SECRET') ?? (file && readSecretFile(file, '--token-secret-file'));
    if (!secret) {
      throw new ProxmoxError('The token needs its secret: --token-secret, --token-secret-file or PROXMOX_TOKEN_SECRET');
    }
    return { kind: 'token', tokenId, secret };
  }
  if (user) {
    if (!USERNAME_WITH_REALM_PATTERN.test(user)) {
      throw new ProxmoxError(`--user must carry its realm, e.g. root@pam, got "${user}"`);
    }
    const file = pick(flags.passwordFile, 'PROXMOX_PASSWORD_FILE');
    const password = pick(flags.password, 'PROXMOX_PASSWORD') ?? (file && readSecretFile(file, '--password-file'));
    if (!password) throw new ProxmoxError('--user needs a password: --password, --password-file or PROXMOX_PASSWORD');
    return { kind: 'password', username: user, password };
  }
  throw new ProxmoxError(
    'Say how to log in: --token-id USER@REALM!TOKENID with --token-secret (or --token-secret-file), ' +
      'or --user USER@REALM with --password (or --password-file); the PROXMOX_* variables work too',
  );
}

function readSecretFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new ProxmoxError(`Cannot read ${flag} ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}

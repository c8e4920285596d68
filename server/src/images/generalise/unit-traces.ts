import { posix } from 'node:path';
import type { GeneraliseAlwaysCleared, GeneraliseCandidate } from '@rpi-deploy/contracts';
import { DIRECTORY, REGULAR_FILE, SYMLINK, typeOf, type RootEntry } from './root-debugfs';

/** Folders walked for traces of the reference unit, and how deep (one debugfs run per level). */
export const TRACE_ROOTS = [
  '/etc',
  '/var/log',
  '/root',
  '/home',
  '/var/lib/NetworkManager',
  '/var/lib/dhcpcd',
  '/var/lib/dhcp',
  '/var/lib/cloud',
  '/var/lib/dbus',
  '/var/lib/systemd',
];
export const TRACE_DEPTH = 5;

/** What the installer writes anew for every unit, so the master must not carry the reference unit's. */
export const MACHINE_ID = '/etc/machine-id';
export const HOSTNAME = '/etc/hostname';
export const HOSTS = '/etc/hosts';
const SSH_HOST_KEY = /^\/etc\/ssh\/ssh_host_[^/]+$/;

/** Debian's line for the machine's own name. */
const OWN_NAME_LINE = /^\s*127\.0\.1\.1\s/;

const HISTORY_FILES = new Set([
  '.bash_history',
  '.zsh_history',
  '.python_history',
  '.node_repl_history',
  '.lesshst',
  '.viminfo',
  '.sqlite_history',
  '.mysql_history',
  '.psql_history',
  '.wget-hsts',
]);
/** Rotated or binary journal logs go; the current text logs stay as empty files their daemons reopen. */
const ROTATED_LOG = /\.(\d+|gz|xz|zst|old)$|\.journal~?$/;
const MACHINE_STATE = new Set([
  '/var/lib/dbus/machine-id',
  '/var/lib/systemd/random-seed',
  '/var/lib/systemd/credential.secret',
]);

/** The always-cleared items present in the root, for the dashboard to show. */
export function alwaysCleared(entries: RootEntry[]): GeneraliseAlwaysCleared[] {
  const present = new Set(entries.map((entry) => entry.path));
  const items: GeneraliseAlwaysCleared[] = [];
  if (present.has(MACHINE_ID)) items.push({ path: MACHINE_ID, what: 'emptied: systemd makes a new id at first boot' });
  for (const key of sshHostKeys(entries)) items.push({ path: key, what: 'removed: the unit makes its own host keys' });
  if (present.has(HOSTNAME)) items.push({ path: HOSTNAME, what: 'emptied: the installer writes each unit’s name' });
  if (present.has(HOSTS))
    items.push({ path: HOSTS, what: 'its 127.0.1.1 line removed: the installer adds the unit’s' });
  return items;
}

export function sshHostKeys(entries: RootEntry[]): string[] {
  return entries.filter((entry) => SSH_HOST_KEY.test(entry.path) && typeOf(entry) !== DIRECTORY).map((e) => e.path);
}

/** /etc/hosts without the own-name line (the installer adds the unit's own). */
export function hostsWithoutOwnName(hosts: string): string {
  return hosts
    .split('\n')
    .filter((line) => !OWN_NAME_LINE.test(line))
    .join('\n');
}

export function hasOwnNameLine(hosts: string): boolean {
  return hosts.split('\n').some((line) => OWN_NAME_LINE.test(line));
}

/** What else in the walked entries looks specific to the reference unit, path order. */
export function traceCandidates(entries: RootEntry[]): GeneraliseCandidate[] {
  const candidates: GeneraliseCandidate[] = [];
  const homes = new Set(['/root', ...entries.filter((e) => posix.dirname(e.path) === '/home').map((e) => e.path)]);
  for (const entry of entries) {
    const { path } = entry;
    const regular = typeOf(entry) === REGULAR_FILE;
    const parent = posix.dirname(path);
    if (path.startsWith('/var/log/') && regular && entry.size > 0) {
      candidates.push({ path, kind: 'log', action: ROTATED_LOG.test(path) ? 'remove' : 'empty', bytes: entry.size });
    } else if (homes.has(parent) && HISTORY_FILES.has(posix.basename(path)) && regular) {
      candidates.push({ path, kind: 'shell-history', action: 'remove', bytes: entry.size });
    } else if (
      (parent === '/etc/NetworkManager/system-connections' ||
        parent === '/var/lib/NetworkManager' ||
        parent === '/var/lib/dhcpcd' ||
        parent === '/var/lib/dhcp') &&
      regular
    ) {
      candidates.push({ path, kind: 'network-connection', action: 'remove', bytes: entry.size });
    } else if (
      (path === '/var/lib/cloud/instance' && typeOf(entry) === SYMLINK) ||
      (parent === '/var/lib/cloud/instances' && typeOf(entry) === DIRECTORY)
    ) {
      candidates.push({ path, kind: 'cloud-init', action: 'remove', bytes: bytesBelow(entries, path) });
    } else if (MACHINE_STATE.has(path) && regular) {
      candidates.push({ path, kind: 'machine-state', action: 'remove', bytes: entry.size });
    }
  }
  return candidates.sort((a, b) => a.path.localeCompare(b.path));
}

/** The entries inside a folder (deepest first, so they can be removed in order), itself last. */
export function treeOf(entries: RootEntry[], path: string): RootEntry[] {
  const inside = entries.filter((entry) => entry.path === path || entry.path.startsWith(`${path}/`));
  return inside.sort((a, b) => b.path.split('/').length - a.path.split('/').length);
}

function bytesBelow(entries: RootEntry[], path: string): number {
  return treeOf(entries, path).reduce((sum, entry) => sum + entry.size, 0);
}

import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Stats } from 'node:fs';
import type { PreflightCheckDto } from '@rpi-deploy/contracts';

/** What the layout checks need to know of the server's own settings. */
export interface ServerLayout {
  management: { host: string; port: number };
  deployment: { host: string; port: number };
  dataDir: string;
  /** IMAGES_ACCEL_REDIRECT and CHUNKS_ACCEL_REDIRECT, when set. */
  accel: { images?: string; chunks?: string };
}

/** One nginx configuration file, comments removed. */
interface NginxFile {
  name: string;
  text: string;
}

interface Endpoint {
  host: string;
  port: number;
}

const WILDCARD = '0.0.0.0';
/** Debian's and Ubuntu's nginx run their workers as this user unless nginx.conf says otherwise. */
const DEFAULT_NGINX_USER = 'www-data';
/** Stats taken of a store's files at most: a chunk store holds hundreds of thousands. */
const MAX_FILES_CHECKED = 2000;

/**
 * The nginx layout in front of the server (`rpi-deploy validate`): nginx and the server must not
 * bind the same address and port, our sites must proxy to where the server listens, and with
 * X-Accel-Redirect nginx's worker must reach the stored files. The configuration is read as text
 * (nginx -T needs root): `listen`, `upstream ... { server }`, `proxy_pass`, `location ... { alias }`
 * and `user` are all these checks need, and nginx itself refuses files where they are malformed.
 */
export async function nginxLayoutChecks(confDir: string, server: ServerLayout): Promise<PreflightCheckDto[]> {
  const files = await readNginxFiles(confDir);
  const accelSet = Boolean(server.accel.images || server.accel.chunks);
  if (files.length === 0) {
    return [
      accelSet
        ? {
            id: 'nginx',
            title: 'nginx sends the image bytes (X-Accel-Redirect)',
            ok: false,
            detail: `IMAGES_ACCEL_REDIRECT or CHUNKS_ACCEL_REDIRECT is set, but there is no nginx configuration in ${confDir}`,
            fix: 'Install nginx and the sites with infra/install-server.sh, or unset IMAGES_ACCEL_REDIRECT and CHUNKS_ACCEL_REDIRECT',
          }
        : {
            id: 'nginx',
            title: 'nginx in front of the server',
            ok: true,
            detail: `none (${confDir}): the server answers itself`,
          },
    ];
  }
  const checks = [portsCheck(files, server), proxyCheck(files, server)];
  if (accelSet) checks.push(await filesCheck(files, server));
  return checks;
}

async function readNginxFiles(confDir: string): Promise<NginxFile[]> {
  const paths = [join(confDir, 'nginx.conf')];
  for (const [folder, conf] of [
    ['conf.d', true],
    ['sites-enabled', false],
  ] as const) {
    const names = await readdir(join(confDir, folder)).catch(() => [] as string[]);
    for (const name of names.sort()) if (!conf || name.endsWith('.conf')) paths.push(join(confDir, folder, name));
  }
  const files: NginxFile[] = [];
  for (const path of paths) {
    const text = await readFile(path, 'utf8').catch(() => null);
    if (text !== null) files.push({ name: path, text: text.replace(/#[^\n]*/g, '') });
  }
  return files;
}

const ours = (file: NginxFile) => basename(file.name).startsWith('rpi-deploy');

function directives(text: string, name: string): string[][] {
  return [...text.matchAll(new RegExp(`(?:^|[;{}\\s])${name}\\s+([^;{}]+);`, 'g'))].map((match) =>
    match[1]!.trim().split(/\s+/),
  );
}

/** `listen` as nginx reads it: `5001`, `10.0.0.1:5001`, `*:80`, `localhost:80`; IPv6 and unix sockets left out. */
function parseListen(value: string): Endpoint | null {
  if (value.startsWith('[') || value.startsWith('unix:')) return null;
  const match = /^(?:([^:]+):)?(\d+)$/.exec(value);
  if (!match) return /^\d+$/.test(value) ? { host: WILDCARD, port: Number(value) } : null;
  const host =
    match[1] === undefined || match[1] === '*' ? WILDCARD : match[1] === 'localhost' ? '127.0.0.1' : match[1];
  return { host, port: Number(match[2]) };
}

const overlaps = (a: Endpoint, b: Endpoint) =>
  a.port === b.port && (a.host === b.host || a.host === WILDCARD || b.host === WILDCARD);
const show = (endpoint: Endpoint) => `${endpoint.host}:${endpoint.port}`;
const short = (file: NginxFile) => basename(file.name);

function listeners(server: ServerLayout): { name: string; settings: string; endpoint: Endpoint }[] {
  return [
    { name: 'deployment listener', settings: 'DEPLOY_HOST/DEPLOY_PORT', endpoint: server.deployment },
    { name: 'management listener', settings: 'MGMT_HOST/MGMT_PORT', endpoint: server.management },
  ];
}

function portsCheck(files: NginxFile[], server: ServerLayout): PreflightCheckDto {
  const base = { id: 'nginx-ports', title: 'nginx and the server listen on different ports' };
  const clashes: string[] = [];
  for (const file of files) {
    for (const [value] of directives(file.text, 'listen')) {
      const endpoint = parseListen(value!);
      if (!endpoint) continue;
      for (const listener of listeners(server)) {
        if (overlaps(endpoint, listener.endpoint))
          clashes.push(
            `${short(file)} listens on ${show(endpoint)}, the server's ${listener.name} (${listener.settings}) on ${show(listener.endpoint)}`,
          );
      }
    }
  }
  return clashes.length === 0
    ? {
        ...base,
        ok: true,
        detail: `server on ${listeners(server)
          .map((l) => show(l.endpoint))
          .join(' and ')}`,
      }
    : {
        ...base,
        ok: false,
        detail: `${clashes.join('; ')}: only one of them can start`,
        fix: 'Behind nginx the server listens on loopback: DEPLOY_HOST=127.0.0.1 DEPLOY_PORT=5002 and MGMT_HOST=127.0.0.1 MGMT_PORT=5000 in /etc/rpi-deploy/rpi-deploy.env (as infra/install-server.sh writes it), then restart rpi-deploy and nginx',
      };
}

function proxyCheck(files: NginxFile[], server: ServerLayout): PreflightCheckDto {
  const base = { id: 'nginx-proxy', title: "nginx's rpi-deploy sites proxy to the server's listeners" };
  const upstreams = new Map<string, Endpoint[]>();
  for (const file of files) {
    for (const match of file.text.matchAll(/upstream\s+(\S+)\s*\{([^}]*)\}/g)) {
      const servers = directives(match[2]!, 'server').map(([value]) => parseListen(value!));
      upstreams.set(
        match[1]!,
        servers.filter((endpoint): endpoint is Endpoint => endpoint !== null),
      );
    }
  }
  const targets: { file: NginxFile; endpoint: Endpoint }[] = [];
  for (const file of files.filter(ours)) {
    for (const [url] of directives(file.text, 'proxy_pass')) {
      const authority = /^https?:\/\/([^/]+)/.exec(url!)?.[1];
      if (!authority) continue;
      const endpoints = upstreams.get(authority) ?? [
        parseListen(authority.includes(':') ? authority : `${authority}:80`),
      ];
      for (const endpoint of endpoints) if (endpoint) targets.push({ file, endpoint });
    }
  }
  if (targets.length === 0) return { ...base, ok: true, detail: 'no rpi-deploy site proxies anywhere' };
  const reachesServer = (target: Endpoint) =>
    listeners(server).some(
      ({ endpoint }) =>
        endpoint.port === target.port &&
        (endpoint.host === target.host || (endpoint.host === WILDCARD && target.host.startsWith('127.'))),
    );
  const astray = targets.filter(({ endpoint }) => !reachesServer(endpoint));
  const found = [...new Set(targets.map(({ file, endpoint }) => `${short(file)} -> ${show(endpoint)}`))];
  return astray.length === 0
    ? { ...base, ok: true, detail: found.join(', ') }
    : {
        ...base,
        ok: false,
        detail: `${[...new Set(astray.map(({ file, endpoint }) => `${short(file)} proxies to ${show(endpoint)}`))].join('; ')}, where the server does not listen (it listens on ${listeners(
          server,
        )
          .map((l) => show(l.endpoint))
          .join(' and ')})`,
        fix: 'Make the server listen where the sites proxy to: DEPLOY_HOST=127.0.0.1 DEPLOY_PORT=5002 and MGMT_HOST=127.0.0.1 MGMT_PORT=5000 in /etc/rpi-deploy/rpi-deploy.env, then restart rpi-deploy',
      };
}

async function filesCheck(files: NginxFile[], server: ServerLayout): Promise<PreflightCheckDto> {
  const main = files.find((file) => basename(file.name) === 'nginx.conf');
  const user = (main && directives(main.text, 'user')[0]?.[0]) ?? DEFAULT_NGINX_USER;
  const base = { id: 'nginx-files', title: `nginx's worker (${user}) reads the stored images and chunks` };
  const identity = await userIdentity(user);
  if (!identity) {
    return {
      ...base,
      ok: false,
      detail: `no user ${user}`,
      fix: 'Install nginx (apt install nginx) or correct its user directive',
    };
  }
  const problems: string[] = [];
  let checked = 0;
  for (const [setting, prefix, folder] of [
    ['IMAGES_ACCEL_REDIRECT', server.accel.images, join(server.dataDir, 'images')],
    ['CHUNKS_ACCEL_REDIRECT', server.accel.chunks, join(server.dataDir, 'chunks')],
  ] as const) {
    if (!prefix) continue;
    const alias = aliasOf(files, prefix);
    if (alias === undefined) {
      problems.push(`${setting}=${prefix} but no nginx site has an internal location ${prefix}`);
    } else if (resolve(alias) !== resolve(folder)) {
      problems.push(`location ${prefix} points at ${alias}, the server stores in ${folder}`);
    }
    const unreadable = await unreadableFor(identity, folder);
    checked += unreadable.checked;
    problems.push(...unreadable.problems);
  }
  return problems.length === 0
    ? { ...base, ok: true, detail: `${checked} folders and files checked` }
    : {
        ...base,
        ok: false,
        detail: problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : ''),
        fix: `Give ${user} read access through the group, as infra/install-server.sh does: chgrp -R ${user} DATA_DIR/images DATA_DIR/chunks, folders 2750 (setgid), files 0640, DATA_DIR 0751; install the site infra/nginx/rpi-deploy-deployment.conf`,
      };
}

function aliasOf(files: NginxFile[], prefix: string): string | undefined {
  for (const file of files) {
    for (const match of file.text.matchAll(/location\s+(\S+)\s*\{([^}]*)\}/g)) {
      if (match[1] === prefix) return directives(match[2]!, 'alias')[0]?.[0];
    }
  }
  return undefined;
}

interface Identity {
  uid: number;
  gids: number[];
}

/** The user's ids as the kernel checks them (`id`: the system's user database, LDAP included). */
function userIdentity(user: string): Promise<Identity | null> {
  const run = (flag: string) =>
    new Promise<string | null>((done) =>
      execFile('id', [flag, user], { timeout: 3000 }, (error, stdout) => done(error ? null : stdout.trim())),
    );
  return Promise.all([run('-u'), run('-G')]).then(([uid, gids]) =>
    uid === null || gids === null ? null : { uid: Number(uid), gids: gids.split(/\s+/).map(Number) },
  );
}

/** The permission bits that apply to `who` (owner, group or others), as the kernel picks them. */
function allows(who: Identity, stats: Stats, bits: number): boolean {
  if (who.uid === 0) return true;
  const shift = stats.uid === who.uid ? 6 : who.gids.includes(stats.gid) ? 3 : 0;
  return ((stats.mode >> shift) & bits) === bits;
}

async function unreadableFor(who: Identity, folder: string): Promise<{ problems: string[]; checked: number }> {
  const problems: string[] = [];
  const octal = (stats: Stats) => (stats.mode & 0o7777).toString(8).padStart(4, '0');
  for (let parent = dirname(folder); ; parent = dirname(parent)) {
    const stats = await stat(parent).catch(() => null);
    if (stats && !allows(who, stats, 1)) problems.push(`${parent} (${octal(stats)}) does not let it through`);
    if (parent === dirname(parent)) break;
  }
  const top = await stat(folder).catch(() => null);
  if (!top) return { problems: [`${folder} does not exist`], checked: 0 };
  let checked = 1;
  if (!allows(who, top, 5)) problems.push(`${folder} (${octal(top)}) is not readable`);
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  for (const entry of entries.slice(0, MAX_FILES_CHECKED)) {
    const path = join(entry.parentPath, entry.name);
    const stats = await stat(path).catch(() => null);
    if (!stats) continue;
    checked++;
    if (!allows(who, stats, stats.isDirectory() ? 5 : 4)) problems.push(`${path} (${octal(stats)}) is not readable`);
  }
  return { problems, checked };
}

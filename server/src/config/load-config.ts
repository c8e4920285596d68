import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isIPv4 } from 'node:net';
import { join, resolve } from 'node:path';
import { USERNAME_PATTERN } from '@rpi-deploy/contracts';
import { AppConfig, LOG_LEVEL_NAMES, type LogLevelName } from './app-config';
import { parseStoreUrl } from './image-store-url';
import { INTERFACE_NAME, LEASE_TIME } from './netboot-settings';
import { passwordWeakness } from '../validation/password-strength';

/** Every problem found in the environment, so an operator can fix them in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** Where relative paths (DATA_DIR, WEB_ROOT) start from. */
  cwd?: string;
  /** Default dashboard location when WEB_ROOT is not set. */
  defaultWebRoot?: string;
  /** Default location of the built netboot artefacts when NETBOOT_BUILD_DIR is not set. */
  defaultNetbootBuildDir?: string;
  /** Default dnsmasq hook script when NETBOOT_HOOK is not set. */
  defaultHookPath?: string;
  /** Default boot-file templates when NETBOOT_TEMPLATES is not set. */
  defaultTemplateDir?: string;
  /** Injected for tests; defaults to the machine's interfaces. */
  interfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>;
}

type Env = Record<string, string | undefined>;

/** Measured in issue 16 (README, CHUNK_ZSTD_LEVEL): the best ratio that still keeps up with uploads. */
const DEFAULT_CHUNK_ZSTD_LEVEL = 19;
/** Fast enough that a capture keeps up with a card read at 90 MB/s on a Pi 5 (README, CAPTURE_ZSTD_LEVEL). */
const DEFAULT_CAPTURE_ZSTD_LEVEL = 3;

/**
 * Parses the server configuration from environment variables (names and defaults as in
 * docs/interfaces.md, "Server settings"). Throws ConfigError listing every invalid variable.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): AppConfig {
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === '' ? undefined : raw;
  };

  const port = (name: string, fallback: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!/^\d+$/.test(raw) || parsed > 65535) {
      problems.push(`${name} must be a port number 0-65535, got "${raw}"`);
      return fallback;
    }
    return parsed;
  };
  const positiveInt = (name: string, fallback: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < 1) {
      problems.push(`${name} must be a positive whole number, got "${raw}"`);
      return fallback;
    }
    return Number(raw);
  };

  const nonNegativeInt = (name: string, fallback: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) {
      problems.push(`${name} must be a whole number (0 for no cap), got "${raw}"`);
      return fallback;
    }
    return Number(raw);
  };

  const byteSize = (name: string, fallback: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = parseByteSize(raw);
    if (parsed === undefined) {
      problems.push(`${name} must be a size in bytes, optionally with K, M, G or T (e.g. 64G), got "${raw}"`);
      return fallback;
    }
    return parsed;
  };

  const managementHost = value('MGMT_HOST') ?? '0.0.0.0';
  const managementPort = port('MGMT_PORT', 5000);
  const deploymentHost = value('DEPLOY_HOST') ?? '0.0.0.0';
  const deploymentPort = port('DEPLOY_PORT', 5001);
  if (managementPort !== 0 && managementPort === deploymentPort) {
    problems.push(`MGMT_PORT and DEPLOY_PORT must differ (both are ${managementPort})`);
  }

  const databaseUrl = value('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\/.+/.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL (unset it to use SQLite)');
  }

  let publicUrl = value('DEPLOY_PUBLIC_URL');
  if (publicUrl === undefined) {
    publicUrl = defaultPublicUrl(deploymentHost, deploymentPort, options.interfaces ?? networkInterfaces());
  } else if (!isHttpUrl(publicUrl)) {
    problems.push(`DEPLOY_PUBLIC_URL must be an http:// or https:// URL, got "${publicUrl}"`);
  }
  publicUrl = publicUrl.replace(/\/+$/, '');

  const adminUsername = value('ADMIN_USERNAME') ?? 'admin';
  if (!USERNAME_PATTERN.test(adminUsername)) {
    problems.push(`ADMIN_USERNAME must be 2-32 lower-case letters, digits, ".", "_" or "-", got "${adminUsername}"`);
  }
  const adminPassword = env['ADMIN_PASSWORD'] === '' ? undefined : env['ADMIN_PASSWORD'];
  const adminPasswordWeakness = adminPassword === undefined ? undefined : passwordWeakness(adminPassword);
  if (adminPasswordWeakness) {
    problems.push(`ADMIN_PASSWORD ${adminPasswordWeakness} (or leave it unset to have one generated)`);
  }

  const logLevel = (value('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVEL_NAMES as readonly string[]).includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVEL_NAMES.join(', ')}, got "${logLevel}"`);
  }
  const logFormat = (value('LOG_FORMAT') ?? (process.stdout.isTTY ? 'pretty' : 'json')).toLowerCase();
  if (logFormat !== 'json' && logFormat !== 'pretty') {
    problems.push(`LOG_FORMAT must be json or pretty, got "${logFormat}"`);
  }

  const accelLocation = (name: string, example: string): string | undefined => {
    const location = value(name);
    if (location !== undefined && !/^\/[A-Za-z0-9_/-]*\/$/.test(location)) {
      problems.push(`${name} must be a location path like ${example}, got "${location}"`);
    }
    return location;
  };
  const accelPrefix = accelLocation('IMAGES_ACCEL_REDIRECT', '/_images/');
  const chunksAccelPrefix = accelLocation('CHUNKS_ACCEL_REDIRECT', '/_chunks/');

  const tlsCert = value('TLS_CERT');
  const tlsKey = value('TLS_KEY');
  const tlsSelfSigned = (value('TLS_SELF_SIGNED') ?? 'false').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(tlsSelfSigned)) {
    problems.push(`TLS_SELF_SIGNED must be true or false, got "${tlsSelfSigned}"`);
  }
  const selfSigned = tlsSelfSigned === 'true' || tlsSelfSigned === '1';
  if (!selfSigned && (tlsCert === undefined) !== (tlsKey === undefined)) {
    problems.push(
      'TLS_CERT and TLS_KEY go together: set both (PEM files), or neither, or TLS_SELF_SIGNED=true to generate a pair',
    );
  }

  const chunkZstdLevel = value('CHUNK_ZSTD_LEVEL') ?? String(DEFAULT_CHUNK_ZSTD_LEVEL);
  if (!/^\d+$/.test(chunkZstdLevel) || Number(chunkZstdLevel) < 1 || Number(chunkZstdLevel) > 19) {
    problems.push(`CHUNK_ZSTD_LEVEL must be a zstd level from 1 to 19, got "${chunkZstdLevel}"`);
  }
  const captureZstdLevel = value('CAPTURE_ZSTD_LEVEL') ?? String(DEFAULT_CAPTURE_ZSTD_LEVEL);
  if (!/^\d+$/.test(captureZstdLevel) || Number(captureZstdLevel) < 1 || Number(captureZstdLevel) > 19) {
    problems.push(`CAPTURE_ZSTD_LEVEL must be a zstd level from 1 to 19, got "${captureZstdLevel}"`);
  }

  const storeLocation = parseStoreUrl(value('IMAGE_STORE_URL'));
  if (typeof storeLocation === 'string') problems.push(storeLocation);
  const storePublic = (value('IMAGE_STORE_PUBLIC') ?? 'false').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(storePublic)) {
    problems.push(`IMAGE_STORE_PUBLIC must be true or false, got "${storePublic}"`);
  }

  const maxImageBytes = byteSize('IMAGE_MAX_SIZE_BYTES', 64 * 2 ** 30);
  if (maxImageBytes === 0) problems.push('IMAGE_MAX_SIZE_BYTES must be more than 0 (e.g. 64G)');

  const jwtSecret = value('JWT_SECRET');
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    problems.push('JWT_SECRET must be at least 32 characters long (or unset to generate one)');
  }

  const metricsToken = value('METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) {
    problems.push('METRICS_TOKEN must be at least 16 characters long (or unset: then only admins may read /metrics)');
  }

  const dataDir = resolve(cwd, value('DATA_DIR') ?? './data');
  const ipv4 = (name: string, fallback: string): string => {
    const raw = value(name) ?? fallback;
    if (!isIPv4(raw)) problems.push(`${name} must be an IPv4 address like 192.168.151.1, got "${raw}"`);
    return raw;
  };
  const dhcpRangeText = value('NETBOOT_DHCP_RANGE') ?? '192.168.151.100,192.168.151.250';
  const [rangeFirst = '', rangeLast = ''] = dhcpRangeText.split(',').map((part) => part.trim());
  if (!isIPv4(rangeFirst) || !isIPv4(rangeLast)) {
    problems.push(`NETBOOT_DHCP_RANGE must be FIRST,LAST IPv4 addresses, got "${dhcpRangeText}"`);
  }
  const leaseTime = value('NETBOOT_LEASE_TIME') ?? '1h';
  if (!LEASE_TIME.test(leaseTime)) {
    problems.push(`NETBOOT_LEASE_TIME must be like 1h, 30m, 3600 or infinite, got "${leaseTime}"`);
  }
  const netbootInterface = value('NETBOOT_INTERFACE') ?? 'eth1';
  if (!INTERFACE_NAME.test(netbootInterface)) {
    problems.push(`NETBOOT_INTERFACE must be an interface name like eth1, got "${netbootInterface}"`);
  }

  const proxmoxUrl = value('PROXMOX_URL');
  if (proxmoxUrl !== undefined && !/^https:\/\/[^/\s]+/.test(proxmoxUrl)) {
    problems.push(`PROXMOX_URL must be an https:// URL like https://pve.example.net:8006, got "${proxmoxUrl}"`);
  }
  const proxmoxVmid = value('PROXMOX_VMID');
  if (proxmoxVmid !== undefined && !/^[1-9]\d{2,8}$/.test(proxmoxVmid)) {
    problems.push(`PROXMOX_VMID must be a VM id (100-999999999), got "${proxmoxVmid}"`);
  }
  const proxmoxInsecure = (value('PROXMOX_INSECURE') ?? 'false').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(proxmoxInsecure)) {
    problems.push(`PROXMOX_INSECURE must be true or false, got "${proxmoxInsecure}"`);
  }

  const config = {
    dataDir,
    databaseUrl,
    management: {
      host: managementHost,
      port: managementPort,
      tls:
        selfSigned || tlsCert !== undefined
          ? {
              certPath: resolve(cwd, tlsCert ?? join(dataDir, 'tls', 'server.crt')),
              keyPath: resolve(cwd, tlsKey ?? join(dataDir, 'tls', 'server.key')),
              selfSigned,
            }
          : undefined,
    },
    deployment: { host: deploymentHost, port: deploymentPort, publicUrl },
    admin: { username: adminUsername, password: adminPassword },
    logLevel: logLevel as LogLevelName,
    logFormat: logFormat as 'json' | 'pretty',
    webRoot: resolve(cwd, value('WEB_ROOT') ?? options.defaultWebRoot ?? './dist/web/browser'),
    jwtSecret,
    tokenTtlSeconds: positiveInt('TOKEN_TTL_HOURS', 12) * 3600,
    metricsToken,
    loginAttemptsPerMinute: positiveInt('LOGIN_ATTEMPTS_PER_MINUTE', 10),
    auditRetentionDays: positiveInt('AUDIT_RETENTION_DAYS', 365),
    deployments: {
      silenceTimeoutSeconds: positiveInt('DEPLOYMENT_SILENCE_TIMEOUT_SECONDS', 600),
      bootConfirmTimeoutSeconds: positiveInt('BOOT_CONFIRM_TIMEOUT_SECONDS', 600),
      maxServerTransfers: nonNegativeInt(
        'DEPLOY_MAX_SERVER_TRANSFERS',
        defaultServerTransfers(positiveInt('DEPLOY_LINK_MBITS', 1000)),
      ),
      admissionIdleSeconds: positiveInt('DEPLOY_ADMISSION_IDLE_SECONDS', 3),
      admissionSilenceSeconds: positiveInt('DEPLOY_ADMISSION_SILENCE_SECONDS', 30),
    },
    images: {
      uploadMaxBytes: byteSize('IMAGE_UPLOAD_MAX_BYTES', 64 * 2 ** 30),
      maxImageBytes,
      diskReserveBytes: byteSize('IMAGE_DISK_RESERVE_BYTES', 2 ** 30),
      accelRedirectPrefix: accelPrefix,
      chunksAccelRedirectPrefix: chunksAccelPrefix,
      store: typeof storeLocation === 'string' ? { kind: 'local' as const } : storeLocation,
      storePublic: storePublic === 'true' || storePublic === '1',
      chunkZstdLevel: /^\d+$/.test(chunkZstdLevel) ? Number(chunkZstdLevel) : DEFAULT_CHUNK_ZSTD_LEVEL,
      captureZstdLevel: /^\d+$/.test(captureZstdLevel) ? Number(captureZstdLevel) : DEFAULT_CAPTURE_ZSTD_LEVEL,
    },
    netboot: {
      buildDir: resolve(cwd, value('NETBOOT_BUILD_DIR') ?? options.defaultNetbootBuildDir ?? './dist/netboot'),
      interface: netbootInterface,
      serverIp: ipv4('NETBOOT_SERVER_IP', '192.168.151.1'),
      dhcpRange: { first: rangeFirst, last: rangeLast },
      netmask: ipv4('NETBOOT_NETMASK', '255.255.255.0'),
      leaseTime,
      tftpMax: positiveInt('NETBOOT_TFTP_MAX', 1000),
      tftpRoot: resolve(cwd, value('TFTP_ROOT') ?? join(dataDir, 'tftp', 'root')),
      dnsmasqConfigPath: resolve(cwd, value('DNSMASQ_CONFIG') ?? join(dataDir, 'netboot', 'dnsmasq.conf')),
      dnsmasqLogPath: resolve(cwd, value('DNSMASQ_LOG') ?? join(dataDir, 'logs', 'dnsmasq.log')),
      hookPath: resolve(
        cwd,
        value('NETBOOT_HOOK') ?? options.defaultHookPath ?? './infra/dnsmasq/rpi-deploy-dhcp-hook.sh',
      ),
      templateDir: resolve(cwd, value('NETBOOT_TEMPLATES') ?? options.defaultTemplateDir ?? './tftpboot'),
    },
    nginxConfDir: resolve(cwd, value('NGINX_CONF_DIR') ?? '/etc/nginx'),
    proxmox: {
      url: proxmoxUrl,
      node: value('PROXMOX_NODE'),
      vmid: proxmoxVmid === undefined ? undefined : Number(proxmoxVmid),
      tokenId: value('PROXMOX_TOKEN_ID'),
      tokenSecret: value('PROXMOX_TOKEN_SECRET'),
      tokenSecretFile: value('PROXMOX_TOKEN_SECRET_FILE'),
      caFile: value('PROXMOX_CA_FILE'),
      insecure: proxmoxInsecure === 'true' || proxmoxInsecure === '1',
    },
  } satisfies AppConfig;

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** "1073741824", "512M", "64G", "1T" (binary units). */
export function parseByteSize(text: string): number | undefined {
  const match = /^(\d+)\s*([KMGT]?)i?B?$/i.exec(text.trim());
  if (!match) return undefined;
  const power = ' KMGT'.indexOf(match[2].toUpperCase() || ' ');
  return Number(match[1]) * 1024 ** power;
}

/**
 * A card takes about 20 MB/s (a fast SD card's sustained write): more units than the link can
 * feed at that rate only share the link and all finish late; at least two keep the link busy.
 */
const CARD_WRITE_MBITS = 160;
function defaultServerTransfers(linkMbits: number): number {
  return Math.max(2, Math.floor(linkMbits / CARD_WRITE_MBITS));
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** `http://<DEPLOY_HOST or first external IPv4 address>:<DEPLOY_PORT>`. */
function defaultPublicUrl(host: string, port: number, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string {
  const wildcard = host === '0.0.0.0' || host === '::';
  const address = wildcard ? firstExternalIPv4(interfaces) : host;
  const hostPart = address.includes(':') ? `[${address}]` : address;
  return `http://${hostPart}:${port}`;
}

function firstExternalIPv4(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string {
  for (const name of Object.keys(interfaces).sort()) {
    const found = interfaces[name]?.find((info) => info.family === 'IPv4' && !info.internal);
    if (found) return found.address;
  }
  return '127.0.0.1';
}

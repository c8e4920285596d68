import type { StoreLocation } from './image-store-url';

/**
 * The server's configuration, parsed once from the environment (see `loadConfig`).
 * Used as the injection token too: `constructor(private readonly config: AppConfig)`.
 */
export abstract class AppConfig {
  /** SQLite database, image store, logs, generated netboot files, secrets. */
  abstract readonly dataDir: string;
  /** `postgres://...` switches the database to PostgreSQL; undefined means SQLite in dataDir. */
  abstract readonly databaseUrl?: string;
  /** The dashboard, management API and live socket; HTTPS when `tls` is set. */
  abstract readonly management: ListenerConfig & { readonly tls?: ManagementTls };
  abstract readonly deployment: ListenerConfig & {
    /** Base URL written into image URLs handed to Pis. */
    readonly publicUrl: string;
  };
  abstract readonly admin: { readonly username: string; readonly password?: string };
  abstract readonly logLevel: LogLevelName;
  abstract readonly logFormat: 'json' | 'pretty';
  /** Folder holding the built dashboard (index.html and assets). */
  abstract readonly webRoot: string;
  /** Signing secret for access tokens; generated and kept in dataDir when not given. */
  abstract readonly jwtSecret?: string;
  abstract readonly tokenTtlSeconds: number;
  /** Bearer token Prometheus scrapes `/metrics` with (METRICS_TOKEN); without it only admins may. */
  abstract readonly metricsToken?: string;
  /** Failed login attempts allowed per minute for one client address and user name. */
  abstract readonly loginAttemptsPerMinute: number;
  /** Audit entries older than this many days are deleted (checked at start and hourly). */
  abstract readonly auditRetentionDays: number;
  abstract readonly deployments: {
    /** A deployment without a report for this long is marked failed ("no report"). */
    readonly silenceTimeoutSeconds: number;
    /** A successful deployment whose unit has not confirmed its first boot for this long is shown "not confirmed". */
    readonly bootConfirmTimeoutSeconds: number;
    /**
     * Units that may draw image or chunk bytes from the server at once (0: no cap). The rest wait
     * in line, answered 503 with Retry-After. Default: DEPLOY_LINK_MBITS over one card's write rate.
     */
    readonly maxServerTransfers: number;
    /**
     * An admitted unit with no answer in flight that asks nothing for this long gives its slot to
     * the next in line (it fetches from its neighbours, or waits for its card).
     */
    readonly admissionIdleSeconds: number;
    /** A unit in line that stops asking for this long (beyond its Retry-After) loses its place. */
    readonly admissionSilenceSeconds: number;
  };
  abstract readonly images: {
    /** Largest upload accepted, in bytes (compressed size as sent). */
    readonly uploadMaxBytes: number;
    /** Largest image accepted once unpacked, in bytes: a small compressed upload can unpack to any size. */
    readonly maxImageBytes: number;
    /** Free space that uploads must leave on the data disk, in bytes. */
    readonly diskReserveBytes: number;
    /**
     * Production mode behind nginx: answer image downloads with `X-Accel-Redirect: <prefix><file>`
     * and let nginx send the bytes (sendfile) from an internal location aliased to DATA_DIR/images.
     */
    readonly accelRedirectPrefix?: string;
    /**
     * The same for chunk downloads (CHUNKS_ACCEL_REDIRECT): `X-Accel-Redirect: <prefix><ab>/<sha256>.zst`
     * to an internal location aliased to DATA_DIR/chunks.
     */
    readonly chunksAccelRedirectPrefix?: string;
    /** IMAGE_STORE_URL: local folders (default), a shared file system or an S3 bucket. */
    readonly store: StoreLocation;
    /** IMAGE_STORE_PUBLIC: the S3 store is reachable from the deployment VLAN, so downloads redirect to presigned URLs. */
    readonly storePublic: boolean;
    /** zstd level the chunk store compresses new chunks with (1-19). */
    readonly chunkZstdLevel: number;
    /**
     * zstd level captured chunks are stored with first (CAPTURE_ZSTD_LEVEL), so a capture keeps up
     * with the card; ChunkRecompression brings them to chunkZstdLevel in the background.
     */
    readonly captureZstdLevel: number;
  };
  abstract readonly netboot: NetbootConfig;
  /** nginx's configuration folder (NGINX_CONF_DIR): the pre-flight checks the layout in front of the server. */
  abstract readonly nginxConfDir: string;
  /** Proxmox VE holding this server's own VM (PROXMOX_*); the API answers 503 until it is complete. */
  abstract readonly proxmox: ProxmoxSettings;
}

/** HTTPS on the management listener without nginx (TLS_CERT, TLS_KEY, TLS_SELF_SIGNED). */
export interface ManagementTls {
  readonly certPath: string;
  readonly keyPath: string;
  /** Generate a self-signed pair at these paths on start when they do not exist yet. */
  readonly selfSigned: boolean;
}

export interface ProxmoxSettings {
  /** https://HOST:8006 */
  readonly url?: string;
  readonly node?: string;
  readonly vmid?: number;
  /** USER@REALM!TOKENID */
  readonly tokenId?: string;
  readonly tokenSecret?: string;
  /** Read on each use, so a rotated secret needs no restart. */
  readonly tokenSecretFile?: string;
  /** PEM of the CA that signed Proxmox's certificate. */
  readonly caFile?: string;
  readonly insecure: boolean;
}

/** The deployment network: dnsmasq (DHCP + TFTP) and the files Pis boot from. */
export interface NetbootConfig {
  /** Built netboot artefacts (initramfs.img, runtime.tar.zst) from `npm run build:initramfs`. */
  readonly buildDir: string;
  /** Network interface on the deployment VLAN that dnsmasq serves. */
  readonly interface: string;
  /** This server's address on that interface: next-server for TFTP, default deploy.server. */
  readonly serverIp: string;
  readonly dhcpRange: { readonly first: string; readonly last: string };
  readonly netmask: string;
  /** dnsmasq lease time, e.g. "1h", "30m". */
  readonly leaseTime: string;
  /** Concurrent TFTP transfers dnsmasq allows (its default of 50 is too small for big batches). */
  readonly tftpMax: number;
  /** What dnsmasq serves: a symlink to the current release, switched atomically by sync-tftp. */
  readonly tftpRoot: string;
  /** Where the generated dnsmasq configuration is written, and dnsmasq's log file. */
  readonly dnsmasqConfigPath: string;
  readonly dnsmasqLogPath: string;
  /** dnsmasq's dhcp-script: the hook that forwards lease and TFTP events to this server. */
  readonly hookPath: string;
  /** Templates of config.txt and cmdline.txt (the repository's tftpboot/ folder). */
  readonly templateDir: string;
}

export interface ListenerConfig {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
}

export const LOG_LEVEL_NAMES = ['error', 'warn', 'info', 'debug', 'verbose'] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];

/**
 * The server's configuration, parsed once from the environment (see `loadConfig`).
 * Used as the injection token too: `constructor(private readonly config: AppConfig)`.
 */
export abstract class AppConfig {
  /** SQLite database, image store, logs, generated netboot files, secrets. */
  abstract readonly dataDir: string;
  /** `postgres://...` switches the database to PostgreSQL; undefined means SQLite in dataDir. */
  abstract readonly databaseUrl?: string;
  abstract readonly management: ListenerConfig;
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
  /** Failed login attempts allowed per minute for one client address and user name. */
  abstract readonly loginAttemptsPerMinute: number;
  abstract readonly deployments: {
    /** A deployment without a report for this long is marked failed ("no report"). */
    readonly silenceTimeoutSeconds: number;
  };
  abstract readonly images: {
    /** Largest upload accepted, in bytes (compressed size as sent). */
    readonly uploadMaxBytes: number;
    /** Free space that uploads must leave on the data disk, in bytes. */
    readonly diskReserveBytes: number;
    /**
     * Production mode behind nginx: answer image downloads with `X-Accel-Redirect: <prefix><file>`
     * and let nginx send the bytes (sendfile) from an internal location aliased to DATA_DIR/images.
     */
    readonly accelRedirectPrefix?: string;
  };
}

export interface ListenerConfig {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
}

export const LOG_LEVEL_NAMES = ['error', 'warn', 'info', 'debug', 'verbose'] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];

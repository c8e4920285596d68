import type { NetworkInterfaceInfo } from 'node:os';
import { ConfigError, loadConfig } from './load-config';

const interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = {
  lo: [
    {
      address: '127.0.0.1',
      family: 'IPv4',
      internal: true,
      netmask: '255.0.0.0',
      mac: '00:00:00:00:00:00',
      cidr: '127.0.0.1/8',
    },
  ],
  ens19: [
    {
      address: '192.168.151.1',
      family: 'IPv4',
      internal: false,
      netmask: '255.255.255.0',
      mac: '02:00:00:00:00:01',
      cidr: '192.168.151.1/24',
    },
  ],
};

const load = (env: Record<string, string>) => loadConfig(env, { cwd: '/srv/rpi', interfaces });

function problemsOf(env: Record<string, string>): string[] {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = load({ LOG_FORMAT: 'json' });
    expect(config).toMatchObject({
      dataDir: '/srv/rpi/data',
      databaseUrl: undefined,
      management: { host: '0.0.0.0', port: 5000 },
      deployment: { host: '0.0.0.0', port: 5001, publicUrl: 'http://192.168.151.1:5001' },
      admin: { username: 'admin', password: undefined },
      logLevel: 'info',
      logFormat: 'json',
      tokenTtlSeconds: 12 * 3600,
      loginAttemptsPerMinute: 10,
      auditRetentionDays: 365,
      images: { uploadMaxBytes: 64 * 2 ** 30, maxImageBytes: 64 * 2 ** 30, diskReserveBytes: 2 ** 30 },
      deployments: { silenceTimeoutSeconds: 600, bootConfirmTimeoutSeconds: 600 },
    });
  });

  it('reads the chunk store zstd level and refuses one zstd does not have', () => {
    expect(load({ CHUNK_ZSTD_LEVEL: '9' }).images.chunkZstdLevel).toBe(9);
    for (const level of ['0', '20', 'high', '-3']) {
      expect(() => load({ CHUNK_ZSTD_LEVEL: level })).toThrow(
        `CHUNK_ZSTD_LEVEL must be a zstd level from 1 to 19, got "${level}"`,
      );
    }
  });

  it('reads the capture zstd level (3 by default) and refuses one zstd does not have', () => {
    expect(load({}).images.captureZstdLevel).toBe(3);
    expect(load({ CAPTURE_ZSTD_LEVEL: '19' }).images.captureZstdLevel).toBe(19);
    for (const level of ['0', '20', 'fast']) {
      expect(() => load({ CAPTURE_ZSTD_LEVEL: level })).toThrow(
        `CAPTURE_ZSTD_LEVEL must be a zstd level from 1 to 19, got "${level}"`,
      );
    }
  });

  it('reads IMAGE_STORE_URL: local by default, a shared folder, or an S3 bucket without credentials', () => {
    expect(load({}).images.store).toEqual({ kind: 'local' });
    expect(load({ IMAGE_STORE_URL: 'file:///srv/rpi-store/' }).images.store).toEqual({
      kind: 'file',
      root: '/srv/rpi-store',
    });
    const s3 = load({
      IMAGE_STORE_URL: 's3://fleet-images/site-a/?endpoint=http://10.0.0.5:7480&region=eu-west-1&forcePathStyle=true',
      IMAGE_STORE_PUBLIC: '1',
    }).images;
    expect(s3.store).toEqual({
      kind: 's3',
      bucket: 'fleet-images',
      prefix: 'site-a',
      endpoint: 'http://10.0.0.5:7480',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    expect(s3.storePublic).toBe(true);
    expect(() => load({ IMAGE_STORE_URL: 's3://KEY:SECRET@fleet-images/x' })).toThrow(
      'IMAGE_STORE_URL must not hold credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead',
    );
    expect(() => load({ IMAGE_STORE_URL: 'ftp://store/x' })).toThrow(
      'IMAGE_STORE_URL must start with file:// or s3://',
    );
    expect(() => load({ IMAGE_STORE_URL: 's3://fleet-images/x?acl=public' })).toThrow(
      'IMAGE_STORE_URL option "acl" is unknown',
    );
    expect(() => load({ IMAGE_STORE_URL: 'file://relative/path' })).toThrow(
      'IMAGE_STORE_URL file:// needs an absolute folder',
    );
    expect(() => load({ IMAGE_STORE_PUBLIC: 'maybe' })).toThrow('IMAGE_STORE_PUBLIC must be true or false');
  });

  it('reads image sizes in bytes or with binary units', () => {
    expect(
      load({ IMAGE_UPLOAD_MAX_BYTES: '512M', IMAGE_MAX_SIZE_BYTES: '8G', IMAGE_DISK_RESERVE_BYTES: '1048576' }).images,
    ).toEqual({
      uploadMaxBytes: 512 * 2 ** 20,
      maxImageBytes: 8 * 2 ** 30,
      diskReserveBytes: 2 ** 20,
      store: { kind: 'local' },
      storePublic: false,
      chunkZstdLevel: 19,
      captureZstdLevel: 3,
    });
    expect(load({ IMAGE_UPLOAD_MAX_BYTES: '2GiB' }).images.uploadMaxBytes).toBe(2 * 2 ** 30);
    expect(load({ IMAGES_ACCEL_REDIRECT: '/_images/' }).images.accelRedirectPrefix).toBe('/_images/');
    expect(problemsOf({ IMAGES_ACCEL_REDIRECT: 'images' })).toEqual([
      'IMAGES_ACCEL_REDIRECT must be a location path like /_images/, got "images"',
    ]);
    expect(problemsOf({ IMAGE_UPLOAD_MAX_BYTES: 'lots' })).toEqual([
      'IMAGE_UPLOAD_MAX_BYTES must be a size in bytes, optionally with K, M, G or T (e.g. 64G), got "lots"',
    ]);
    expect(problemsOf({ IMAGE_MAX_SIZE_BYTES: '-1G' })).toEqual([
      'IMAGE_MAX_SIZE_BYTES must be a size in bytes, optionally with K, M, G or T (e.g. 64G), got "-1G"',
    ]);
    expect(problemsOf({ IMAGE_MAX_SIZE_BYTES: '0' })).toEqual(['IMAGE_MAX_SIZE_BYTES must be more than 0 (e.g. 64G)']);
  });

  it('reads every variable', () => {
    const config = load({
      DATA_DIR: '/var/lib/rpi-deploy',
      DATABASE_URL: 'postgres://deploy@db.example/deploy',
      MGMT_HOST: '127.0.0.1',
      MGMT_PORT: '8080',
      DEPLOY_HOST: '10.9.0.1',
      DEPLOY_PORT: '8081',
      DEPLOY_PUBLIC_URL: 'http://deploy.example:8081/',
      ADMIN_USERNAME: 'root.admin',
      ADMIN_PASSWORD: 'correct horse battery',
      LOG_LEVEL: 'DEBUG',
      WEB_ROOT: 'web-dist',
      TOKEN_TTL_HOURS: '2',
      LOGIN_ATTEMPTS_PER_MINUTE: '3',
    });
    expect(config).toMatchObject({
      dataDir: '/var/lib/rpi-deploy',
      databaseUrl: 'postgres://deploy@db.example/deploy',
      management: { host: '127.0.0.1', port: 8080 },
      deployment: { host: '10.9.0.1', port: 8081, publicUrl: 'http://deploy.example:8081' },
      admin: { username: 'root.admin', password: 'correct horse battery' },
      logLevel: 'debug',
      webRoot: '/srv/rpi/web-dist',
      tokenTtlSeconds: 7200,
      loginAttemptsPerMinute: 3,
    });
  });

  it('builds the public URL from an explicit deployment host', () => {
    expect(load({ DEPLOY_HOST: '192.168.151.5', DEPLOY_PORT: '9001' }).deployment.publicUrl).toBe(
      'http://192.168.151.5:9001',
    );
  });

  it('falls back to loopback when the machine has no external address', () => {
    const config = loadConfig({}, { interfaces: { lo: interfaces['lo'] } });
    expect(config.deployment.publicUrl).toBe('http://127.0.0.1:5001');
  });

  it('treats empty variables as unset', () => {
    expect(load({ MGMT_PORT: '', ADMIN_PASSWORD: '' })).toMatchObject({
      management: { port: 5000 },
      admin: { password: undefined },
    });
  });

  it('reports every invalid variable at once', () => {
    const problems = problemsOf({
      MGMT_PORT: '70000',
      DEPLOY_PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      DEPLOY_PUBLIC_URL: 'ftp://x',
      ADMIN_USERNAME: 'Bad Name',
      ADMIN_PASSWORD: 'short',
      LOG_LEVEL: 'loud',
      LOG_FORMAT: 'xml',
      JWT_SECRET: 'tiny',
      TOKEN_TTL_HOURS: '0',
    });
    expect(problems).toHaveLength(10);
    expect(problems.join('\n')).toMatch(/MGMT_PORT must be a port number 0-65535, got "70000"/);
    expect(problems.join('\n')).toMatch(/DEPLOY_PORT .* got "abc"/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL must be a postgres/);
    expect(problems.join('\n')).toMatch(/LOG_LEVEL must be one of error, warn, info, debug, verbose/);
  });

  it('refuses an ADMIN_PASSWORD that is long enough but easy to guess, naming the rule', () => {
    for (const weak of ['1234567890', ' '.repeat(10), 'password123']) {
      expect(problemsOf({ ADMIN_PASSWORD: weak })).toEqual([
        expect.stringMatching(/^ADMIN_PASSWORD is too weak: use at least 10 characters and not easy to guess/),
      ]);
    }
    expect(load({ ADMIN_PASSWORD: 'correct horse battery' }).admin.password).toBe('correct horse battery');
  });

  it('takes METRICS_TOKEN of 16 characters or more, and no token by default', () => {
    expect(load({}).metricsToken).toBeUndefined();
    expect(load({ METRICS_TOKEN: 'a-long-enough-token' }).metricsToken).toBe('a-long-enough-token');
    expect(problemsOf({ METRICS_TOKEN: 'short' })).toEqual([
      'METRICS_TOKEN must be at least 16 characters long (or unset: then only admins may read /metrics)',
    ]);
  });

  it('refuses the same port for both listeners', () => {
    expect(problemsOf({ MGMT_PORT: '6000', DEPLOY_PORT: '6000' })).toEqual([
      'MGMT_PORT and DEPLOY_PORT must differ (both are 6000)',
    ]);
  });

  it('allows port 0 on both listeners (free ports, for tests)', () => {
    const config = load({ MGMT_PORT: '0', DEPLOY_PORT: '0' });
    expect([config.management.port, config.deployment.port]).toEqual([0, 0]);
  });

  it('accepts postgresql:// as well as postgres://', () => {
    expect(load({ DATABASE_URL: 'postgresql://u:p@localhost:5432/db' }).databaseUrl).toBe(
      'postgresql://u:p@localhost:5432/db',
    );
  });

  it('serves the management listener over HTTPS with TLS_CERT and TLS_KEY, or a generated pair', () => {
    expect(load({}).management.tls).toBeUndefined();
    expect(load({ TLS_CERT: 'tls/a.crt', TLS_KEY: '/etc/k.pem' }).management.tls).toEqual({
      certPath: '/srv/rpi/tls/a.crt',
      keyPath: '/etc/k.pem',
      selfSigned: false,
    });
    expect(load({ TLS_SELF_SIGNED: 'true' }).management.tls).toEqual({
      certPath: '/srv/rpi/data/tls/server.crt',
      keyPath: '/srv/rpi/data/tls/server.key',
      selfSigned: true,
    });
  });

  it('refuses half a TLS pair', () => {
    expect(problemsOf({ TLS_CERT: '/etc/c.pem' })).toEqual([
      'TLS_CERT and TLS_KEY go together: set both (PEM files), or neither, or TLS_SELF_SIGNED=true to generate a pair',
    ]);
    expect(problemsOf({ TLS_SELF_SIGNED: 'maybe' })).toEqual(['TLS_SELF_SIGNED must be true or false, got "maybe"']);
  });
});

/**
 * Where images, block maps, chunks and manifests live (IMAGE_STORE_URL):
 * - unset: DATA_DIR's own folders, as with one instance (the default);
 * - `file:///shared/path`: a file system every instance mounts (NFS, CephFS);
 * - `s3://BUCKET/PREFIX?endpoint=...&region=...&forcePathStyle=true`: an S3-compatible object store.
 * Credentials never go in the URL: the AWS SDK reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
 * (or a profile, or an instance role) the usual way, so they stay out of logs and process lists.
 */
export type StoreLocation =
  | { readonly kind: 'local' }
  | { readonly kind: 'file'; readonly root: string }
  | {
      readonly kind: 's3';
      readonly bucket: string;
      /** Key prefix without leading or trailing slash; '' for the bucket root. */
      readonly prefix: string;
      readonly endpoint?: string;
      readonly region: string;
      readonly forcePathStyle: boolean;
    };

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const S3_OPTIONS = new Set(['endpoint', 'region', 'forcePathStyle']);

/** Parses IMAGE_STORE_URL; returns the problem in words (for the start-up error list) when it is wrong. */
export function parseStoreUrl(raw: string | undefined): StoreLocation | string {
  if (raw === undefined || raw === '') return { kind: 'local' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `IMAGE_STORE_URL must be file:///path or s3://BUCKET/PREFIX?endpoint=...&region=..., got "${raw}"`;
  }
  if (url.username !== '' || url.password !== '') {
    return 'IMAGE_STORE_URL must not hold credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead';
  }
  if (url.protocol === 'file:') {
    const root = decodeURIComponent(url.pathname).replace(/\/+$/, '');
    if (url.host !== '' || root === '' || url.search !== '') {
      return `IMAGE_STORE_URL file:// needs an absolute folder like file:///srv/rpi-deploy-store, got "${raw}"`;
    }
    return { kind: 'file', root };
  }
  if (url.protocol !== 's3:') {
    return `IMAGE_STORE_URL must start with file:// or s3://, got "${url.protocol}//"`;
  }
  if (!BUCKET.test(url.hostname)) return `IMAGE_STORE_URL bucket "${url.hostname}" is not a valid S3 bucket name`;
  for (const key of url.searchParams.keys()) {
    if (!S3_OPTIONS.has(key)) return `IMAGE_STORE_URL option "${key}" is unknown (endpoint, region, forcePathStyle)`;
  }
  const endpoint = url.searchParams.get('endpoint') ?? undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint)) {
    return `IMAGE_STORE_URL endpoint must be http(s)://HOST[:PORT], got "${endpoint}"`;
  }
  const pathStyle = (url.searchParams.get('forcePathStyle') ?? 'false').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(pathStyle)) {
    return `IMAGE_STORE_URL forcePathStyle must be true or false, got "${pathStyle}"`;
  }
  return {
    kind: 's3',
    bucket: url.hostname,
    prefix: decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, ''),
    endpoint,
    region: url.searchParams.get('region') ?? 'us-east-1',
    forcePathStyle: pathStyle === 'true' || pathStyle === '1',
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

/** s3rver ships no types; the part of its API the tests use. */
interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

/** s3rver's fixed credentials: the SDK reads them from the usual environment variables. */
export const TEST_S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

export interface TestS3Server {
  /** IMAGE_STORE_URL for the bucket, under `prefix`. */
  storeUrl(prefix?: string): string;
  readonly port: number;
  /** The store goes down (the port stops answering) without losing its objects. */
  stop(): Promise<void>;
  /** Back up on the same port with the same objects. */
  start(): Promise<void>;
  /** Stops it and removes its objects. */
  close(): Promise<void>;
}

/**
 * A throw-away S3 server for the tests: s3rver (npm) speaks the S3 wire protocol to the real AWS
 * SDK client, in this process, keeping objects in a temporary folder. No MinIO can be installed
 * here and a single-node Ceph radosgw takes far too long to bring up for a test suite.
 */
export async function startTestS3(bucket = 'rpi-deploy-test'): Promise<TestS3Server> {
  const directory = mkdtempSync(join(tmpdir(), 's3rver-'));
  const port = await freePort();
  const make = () =>
    new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }] });
  let server: S3rverInstance | undefined = make();
  await server.run();
  Object.assign(process.env, TEST_S3_CREDENTIALS);
  const stop = async () => {
    await server?.close();
    server = undefined;
  };
  return {
    port,
    storeUrl: (prefix = 'images-test') =>
      `s3://${bucket}/${prefix}?endpoint=http://127.0.0.1:${port}&region=us-east-1&forcePathStyle=true`,
    stop,
    async start() {
      server = make();
      await server.run();
    },
    async close() {
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

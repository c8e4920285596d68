import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  NotFound,
  NoSuchKey,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { StoreLocation } from '../../config/image-store-url';
import { StoreMissing, StoreUnavailable, type BlobStore, type ByteRange } from './blob-store';

type S3Location = Extract<StoreLocation, { kind: 's3' }>;

/** Parts of 16 MiB, 4 at a time: a 64 GiB image stays well under S3's 10,000-part limit. */
const PART_BYTES = 16 * 2 ** 20;
const PARTS_IN_FLIGHT = 4;

/**
 * An S3-compatible bucket (AWS S3, MinIO, Ceph RGW) through the official SDK. Credentials come from
 * the SDK's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profile, instance role).
 * A completed PutObject / CompleteMultipartUpload is durable by S3's contract, which is what makes
 * an upload "ready".
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly where: string;

  constructor(private readonly location: S3Location) {
    this.where = `s3://${location.bucket}/${location.prefix}`;
    this.client = new S3Client({
      region: location.region,
      endpoint: location.endpoint,
      forcePathStyle: location.forcePathStyle,
      // Checksums only where S3 requires them: other S3 servers (older RGW, s3rver) reject the
      // trailing CRC headers the SDK would otherwise add to every upload.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // A store that is down answers within seconds, not after the SDK's long default retries.
      maxAttempts: 2,
    });
  }

  private objectKey(key: string): string {
    return this.location.prefix === '' ? key : `${this.location.prefix}/${key}`;
  }

  async putFile(key: string, path: string): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.location.bucket, Key: this.objectKey(key), Body: createReadStream(path) },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
      // A failed multipart upload must not leave parts behind that cost storage forever.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      throw new StoreUnavailable(this.where, error);
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({
          Bucket: this.location.bucket,
          Key: this.objectKey(key),
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      if (!(answer.Body instanceof Readable)) throw new Error('the store sent no body');
      return answer.Body;
    } catch (error) {
      if (error instanceof NoSuchKey) throw new StoreMissing(key);
      throw new StoreUnavailable(this.where, error);
    }
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }),
      );
      return head.ContentLength;
    } catch (error) {
      if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return undefined;
      throw new StoreUnavailable(this.where, error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }));
    } catch (error) {
      throw new StoreUnavailable(this.where, error);
    }
  }

  async presignedUrl(key: string, seconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }), {
      expiresIn: seconds,
    });
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket }));
    } catch (error) {
      throw new StoreUnavailable(this.where, error);
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}

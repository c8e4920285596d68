import { ServiceUnavailableException } from '@nestjs/common';
import type { Readable } from 'node:stream';

/** Inclusive byte range, as in an HTTP Range header. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * A bucket for stored image bytes (image, block map, chunks, patch frames, manifests), named by
 * keys like `images/kxp2-0123456789ab.img` or `chunks/ab/<sha256>.zst`. A `put` returns only once
 * the store holds every byte durably, so a record written after it never points at a half object.
 */
export interface BlobStore {
  /** Stores a finished local file under key (multipart for big files), leaving the file in place. */
  putFile(key: string, path: string): Promise<void>;
  /** The object's bytes, or one range of them; rejects with StoreMissing when there is no such key. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Size in bytes, or undefined when the key does not exist. */
  size(key: string): Promise<number | undefined>;
  /** Removes the key; a key already gone is fine. */
  delete(key: string): Promise<void>;
  /** A time-limited URL a Pi can GET directly (with IMAGE_STORE_PUBLIC). */
  presignedUrl(key: string, seconds: number): Promise<string>;
  /** Throws StoreUnavailable when the store cannot be reached or written (start-up and health checks). */
  check(): Promise<void>;
}

export class StoreMissing extends Error {
  constructor(readonly key: string) {
    super(`"${key}" is not in the image store`);
  }
}

/**
 * The store did not answer or refused a write: nothing was recorded, and the client is told what
 * to do (503, retry once the store is back) instead of a bare 500.
 */
export class StoreUnavailable extends ServiceUnavailableException {
  constructor(where: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `The image store (${where}) is not reachable: ${reason}. Nothing was recorded; ` +
        'check IMAGE_STORE_URL, the store and its credentials, then try again.',
      { cause },
    );
  }
}

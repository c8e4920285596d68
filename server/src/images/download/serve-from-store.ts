import { Logger, NotFoundException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StoreMissing, type BlobStore } from '../store/blob-store';
import { answerHead, type ServedFile } from './serve-file';

const logger = new Logger('HTTP');
/** Presigned URLs live as long as a slow card takes to write one image. */
const PRESIGNED_SECONDS = 3600;

/**
 * serveFile for bytes in an S3 bucket: the same headers and ranges (an installer resumes with a
 * Range), streamed from the store through this instance; or, when the deployment VLAN reaches the
 * store (IMAGE_STORE_PUBLIC), a redirect to a presigned URL so the bytes bypass the instance.
 * Resolves with the body bytes sent (0 when cut short or redirected).
 */
export async function serveFromStore(
  request: Request,
  response: Response,
  remote: BlobStore,
  key: string,
  file: Omit<ServedFile, 'path'>,
  redirect: boolean,
): Promise<number> {
  if (redirect) {
    response.redirect(302, await remote.presignedUrl(key, PRESIGNED_SECONDS));
    return 0;
  }
  const size = await remote.size(key);
  if (size === undefined) throw new NotFoundException(`Cannot ${request.method} ${request.path}`);
  const body = answerHead(request, response, file, size);
  if (!body) return 0;
  let stream;
  try {
    stream = await remote.read(key, body);
  } catch (error) {
    if (error instanceof StoreMissing) {
      // Deleted between the size and the read: nothing was sent yet.
      response.removeHeader('Content-Range');
      response.removeHeader('Content-Length');
      throw new NotFoundException(`Cannot ${request.method} ${request.path}`);
    }
    throw error;
  }
  let sent = 0;
  const counter = new Transform({
    transform(piece: Buffer, _encoding, done) {
      sent += piece.length;
      done(null, piece);
    },
  });
  try {
    await pipeline(stream, counter, response);
    return sent;
  } catch (error) {
    // A Pi that drops the connection is normal (it resumes with a Range request).
    if (!response.destroyed) {
      response.destroy();
      logger.error(`${request.method} ${request.originalUrl} stopped half-way: ${(error as Error).message}`);
    }
    return 0;
  }
}

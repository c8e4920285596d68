import { Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { open } from 'node:fs/promises';
import parseRange from 'range-parser';
import type { DownloadPool } from './download-pool';
import { ChunkBuffers, sendFileRange } from './file-range-sender';

export interface ServedFile {
  path: string;
  /** Strong validator: the content's identity (e.g. its SHA-256), not its mtime. */
  etag: string;
  contentType: string;
  /** Default `no-transform`; immutable content (chunks) says so for a year. */
  cacheControl?: string;
}

/**
 * Bodies from this size on are sent by a download worker (see download-pool.ts), on a
 * connection that then closes; smaller ones (block maps, short ranges) cost less sent here, on
 * a connection that stays open for the next request.
 */
const WORKER_MIN_BYTES = 1 << 20;
const logger = new Logger('HTTP');
const buffers = new ChunkBuffers();

/**
 * GET/HEAD of a stored file with byte ranges, as downloaders expect: Content-Length, a strong
 * ETag, Accept-Ranges, 206 for one range (If-Range honoured), 416 for unsatisfiable ones.
 * Several ranges at once are answered with the whole file (allowed by RFC 9110).
 * Status and headers are decided here; the bytes go through `pool` when it takes them.
 * Resolves with the body bytes sent; 0 when the body was not sent in full (a Pi that dropped
 * the connection asks for the rest with a Range, and that body counts then).
 */
export async function serveFile(
  request: Request,
  response: Response,
  file: ServedFile,
  pool?: DownloadPool,
): Promise<number> {
  // Opened before its size is read, and sent from this very file (/proc/<pid>/fd reopens it, in
  // this process or a download worker's): a chunk frame recompressed meanwhile, renamed over the
  // path, changes nothing in this answer.
  const handle = await open(file.path, 'r');
  const opened = `/proc/${process.pid}/fd/${handle.fd}`;
  try {
    return await serveOpenFile(request, response, file, opened, await handle.stat(), pool);
  } finally {
    await handle.close();
  }
}

async function serveOpenFile(
  request: Request,
  response: Response,
  file: ServedFile,
  path: string,
  { size, mtime }: { size: number; mtime: Date },
  pool?: DownloadPool,
): Promise<number> {
  response.setHeader('Last-Modified', mtime.toUTCString());
  const body = answerHead(request, response, file, size);
  if (!body) return 0;
  const { start, end } = body;
  if (pool && end - start + 1 >= WORKER_MIN_BYTES && canHandOver(request, response)) {
    const started = Date.now();
    const done = await pool.send(request.socket, { head: responseHead(response), path, start, end });
    if (done) {
      const outcome = done.error ? `stopped: ${done.error}` : `${done.bytes} bytes`;
      logger.debug(
        `${request.method} ${request.originalUrl} ${response.statusCode} by download worker, ${outcome}, ${Date.now() - started}ms`,
      );
      return done.error ? 0 : (done.bytes ?? 0);
    }
  }
  try {
    const sent = await sendFileRange(response, path, start, end, buffers);
    response.end();
    return sent;
  } catch (error) {
    // A Pi that drops the connection is normal (it resumes with a Range request).
    if (response.destroyed) return 0;
    // Nothing sent yet: the caller answers.
    if (!response.headersSent) throw error;
    response.destroy();
    logger.error(`${request.method} ${request.originalUrl} stopped half-way: ${(error as Error).message}`);
    return 0;
  }
}

/**
 * Only a connection whose current response is this one, with nothing of an earlier response
 * still queued, and plain TCP (the deployment listener), can leave the process.
 */
function canHandOver(request: Request, response: Response): boolean {
  const socket = request.socket;
  return response.socket === socket && socket.writableLength === 0 && !response.headersSent && !('encrypted' in socket);
}

/** The status line and headers exactly as set on `response`, for a connection that closes after the body. */
function responseHead(response: Response): string {
  const lines = [`HTTP/1.1 ${response.statusCode} ${STATUS_CODES[response.statusCode]}`];
  for (const name of response.getHeaderNames()) {
    const value = response.getHeader(name) ?? '';
    for (const item of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${item}`);
  }
  lines.push(`Date: ${new Date().toUTCString()}`, 'Connection: close', '', '');
  return lines.join('\r\n');
}

/**
 * Status and headers of a GET/HEAD for content of `size` bytes: ETag, Accept-Ranges, 206 for one
 * range (If-Range honoured), 416 for unsatisfiable ones. Returns the byte range to send, or
 * undefined when the answer is complete already (HEAD, 416, empty body).
 */
export function answerHead(
  request: Request,
  response: Response,
  file: Omit<ServedFile, 'path'>,
  size: number,
): { start: number; end: number } | undefined {
  const etag = `"${file.etag}"`;
  response.setHeader('Accept-Ranges', 'bytes');
  response.setHeader('ETag', etag);
  response.setHeader('Content-Type', file.contentType);
  response.setHeader('Cache-Control', file.cacheControl ?? 'no-transform');

  let start = 0;
  let end = size - 1;
  const rangeHeader = request.headers.range;
  const ifRange = request.headers['if-range'];
  if (rangeHeader && (ifRange === undefined || ifRange === etag)) {
    const ranges = parseRange(size, rangeHeader, { combine: true });
    if (ranges === -1) {
      response.status(416).setHeader('Content-Range', `bytes */${size}`);
      response.end();
      return undefined;
    }
    if (ranges !== -2 && ranges.type === 'bytes' && ranges.length === 1) {
      ({ start, end } = ranges[0]);
      response.status(206).setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
  }
  const length = size === 0 ? 0 : end - start + 1;
  response.setHeader('Content-Length', String(length));
  if (request.method === 'HEAD' || length === 0) {
    response.end();
    return undefined;
  }
  return { start, end };
}

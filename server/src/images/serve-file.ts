import type { Request, Response } from 'express';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import parseRange from 'range-parser';

export interface ServedFile {
  path: string;
  /** Strong validator: the content's identity (e.g. its SHA-256), not its mtime. */
  etag: string;
  contentType: string;
}

/** 1 MiB reads: few syscalls and event-loop turns per GB, while memory stays small per client. */
const READ_SIZE = 1 << 20;

/**
 * GET/HEAD of a stored file with byte ranges, as downloaders expect: Content-Length, a strong
 * ETag, Accept-Ranges, 206 for one range (If-Range honoured), 416 for unsatisfiable ones.
 * Several ranges at once are answered with the whole file (allowed by RFC 9110).
 */
export async function serveFile(request: Request, response: Response, file: ServedFile): Promise<void> {
  const { size, mtime } = await stat(file.path);
  const etag = `"${file.etag}"`;
  response.setHeader('Accept-Ranges', 'bytes');
  response.setHeader('ETag', etag);
  response.setHeader('Last-Modified', mtime.toUTCString());
  response.setHeader('Content-Type', file.contentType);
  response.setHeader('Cache-Control', 'no-transform');

  let start = 0;
  let end = size - 1;
  const rangeHeader = request.headers.range;
  const ifRange = request.headers['if-range'];
  if (rangeHeader && (ifRange === undefined || ifRange === etag)) {
    const ranges = parseRange(size, rangeHeader, { combine: true });
    if (ranges === -1) {
      response.status(416).setHeader('Content-Range', `bytes */${size}`);
      response.end();
      return;
    }
    if (ranges !== -2 && ranges.type === 'bytes' && ranges.length === 1) {
      ({ start, end } = ranges[0]);
      response.status(206).setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
  }
  response.setHeader('Content-Length', String(size === 0 ? 0 : end - start + 1));
  if (request.method === 'HEAD' || size === 0) {
    response.end();
    return;
  }
  await pipeline(createReadStream(file.path, { start, end, highWaterMark: READ_SIZE }), response).catch((error) => {
    // A Pi that drops the connection is normal (it resumes with a Range request).
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  });
}

import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { listenerOf } from '../listeners/request-listener';

const logger = new Logger('HTTP');

/** Logs every finished request: server errors as errors, the rest at debug level. */
export function requestLog(request: Request, response: Response, next: NextFunction): void {
  const started = process.hrtime.bigint();
  response.on('finish', () => {
    const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
    const line =
      `${request.method} ${request.originalUrl} ${response.statusCode} ${milliseconds.toFixed(1)}ms ` +
      `${listenerOf(request)} ${request.ip ?? '-'}`;
    if (response.statusCode >= 500) logger.error(line);
    else logger.debug(line);
  });
  next();
}

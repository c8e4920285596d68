import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { LogLevelName } from '../config/app-config';
import { listenerOf } from '../listeners/request-listener';

const logger = new Logger('HTTP');

/**
 * Logs every finished request: server errors as errors, the rest at debug level. 503 is not an
 * error of ours but a state the answer explains (no active image yet, Proxmox not configured).
 */
export function requestLog(level: LogLevelName) {
  // Hundreds of status reports a second: build the line only when it will be written.
  const debug = level === 'debug' || level === 'verbose';
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      const failed = response.statusCode >= 500 && response.statusCode !== 503;
      if (!failed && !debug) return;
      const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
      const line =
        `${request.method} ${request.originalUrl} ${response.statusCode} ${milliseconds.toFixed(1)}ms ` +
        `${listenerOf(request)} ${request.ip ?? '-'}`;
      if (failed) logger.error(line);
      else logger.debug(line);
    });
    next();
  };
}

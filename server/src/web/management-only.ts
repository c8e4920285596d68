import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { listenerOf } from '../listeners/request-listener';

/** Wraps express middleware mounted outside Nest's router so the deployment listener skips it. */
export function managementOnly(handler: RequestHandler): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) =>
    listenerOf(request) === 'management' ? handler(request, response, next) : next();
}

import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** One year, the value HSTS preload lists and security scanners expect. */
const MAX_AGE_SECONDS = 365 * 24 * 3600;

/**
 * Tells browsers to reach the dashboard over HTTPS only from now on (HSTS), so a later
 * plain-HTTP link or a downgrade on the management network cannot expose the login. Sent only
 * when the management listener itself serves HTTPS; behind nginx, nginx's site sends it.
 */
export function strictTransportSecurity(): RequestHandler {
  return (_request: Request, response: Response, next: NextFunction) => {
    response.setHeader('Strict-Transport-Security', `max-age=${MAX_AGE_SECONDS}`);
    next();
  };
}

import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Browser security headers for the management listener (dashboard, API, OpenAPI UI). The
 * dashboard keeps its access token in localStorage, so another site must not frame it
 * (clickjacking) and nothing but our own scripts may run in it.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Angular Material and Angular's animations set style attributes and <style> elements at
        // run time, and the OpenAPI UI has an inline <style>: styles cannot be limited to 'self'.
        styleSrc: ["'self'", "'unsafe-inline'"],
        // The OpenAPI UI draws its icons from data: URIs.
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        // 'self' covers the live socket's ws:/wss: to the same host (CSP Level 3).
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // No upgrade-insecure-requests: a dashboard served over plain HTTP on the office network
        // would ask for its own files over HTTPS and break.
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // HSTS is sent by strictTransportSecurity() when this listener serves HTTPS itself, and by
    // nginx's site behind it; over plain HTTP it would be meaningless.
    strictTransportSecurity: false,
  });
}

import express, { Router, type Request, type Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Paths the SPA fallback must leave alone: the API, the live socket and the metrics (Prometheus accepts any type). */
const SERVER_PATHS = /^\/(api|socket\.io|metrics)(\/|$)/;

/**
 * Serves the built dashboard. Hashed assets are cached for a year; index.html is never cached
 * and answers every other GET that wants HTML, so deep links (/venues/CORO) survive a reload.
 */
export function dashboardRouter(webRoot: string): Router {
  const router = Router();
  const indexFile = join(webRoot, 'index.html');
  router.use(
    express.static(webRoot, {
      index: false,
      setHeaders: (response, path) => {
        const hashed = /[-.][0-9A-Z]{8,}\.(js|css|woff2?|ttf|eot|svg|png)$/.test(path);
        response.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    }),
  );
  router.get(/.*/, (request: Request, response: Response, next) => {
    if (SERVER_PATHS.test(request.path) || !request.accepts('html')) return next();
    if (!existsSync(indexFile)) {
      response
        .status(503)
        .type('text/plain')
        .send(`The dashboard is not built (no ${indexFile}). Run: npx nx build web`);
      return;
    }
    response.setHeader('Cache-Control', 'no-cache');
    response.sendFile(indexFile);
  });
  return router;
}

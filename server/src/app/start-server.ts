import { ValidationPipe, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { AppConfig } from '../config/app-config';
import { DeploymentListener } from '../listeners/deployment-listener';
import { claimSqliteDataDir } from '../database/sqlite-owner';
import { createLogger } from '../logging/logger';
import { requestLog } from '../logging/request-log';
import { refuseDeepJson, refuseLoneSurrogates } from '../validation/json-body';
import { dashboardRouter } from '../web/dashboard';
import { managementOnly } from '../web/management-only';
import { openApiDocument, openApiRouter } from '../web/openapi';
import { securityHeaders } from '../web/security-headers';
import { strictTransportSecurity } from '../web/strict-transport-security';
import { AppModule } from './app.module';
import { loadManagementTls } from './management-tls';

export interface RunningServer {
  app: NestExpressApplication;
  /** The ports actually bound (differ from the configuration when it asked for port 0). */
  managementPort: number;
  deploymentPort: number;
  /** Stops both listeners and closes the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: LoggerService;
  /** Close cleanly on SIGTERM/SIGINT (the real process; tests close explicitly). */
  handleSignals?: boolean;
}

/** Boots the whole server: database and migrations, both listeners, dashboard and API docs. */
export async function startServer(config: AppConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config);
  const tls = config.management.tls;
  const httpsOptions = tls ? await loadManagementTls(tls, config.management.host, logger) : undefined;
  // PostgreSQL may be shared by several instances; SQLite in DATA_DIR belongs to one.
  const release = config.databaseUrl ? () => undefined : claimSqliteDataDir(config.dataDir);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger,
    abortOnError: false,
    httpsOptions,
  }).catch((error: unknown) => {
    release();
    throw error;
  });
  try {
    app.disable('x-powered-by');
    app.use(managementOnly(securityHeaders()));
    if (httpsOptions) app.use(managementOnly(strictTransportSecurity()));
    // Behind the nginx of the production setup, take the client address from X-Forwarded-For.
    app.set('trust proxy', 'loopback');
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
    app.use(requestLog(config.logLevel));
    app.use(managementOnly(openApiRouter(openApiDocument(app))));
    app.use(managementOnly(dashboardRouter(config.webRoot)));
    // Takes the place of Nest's default JSON parser (which then steps aside), on both listeners.
    app.useBodyParser('json', { verify: refuseDeepJson, reviver: refuseLoneSurrogates });
    if (options.handleSignals) {
      app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
      process.once('exit', release);
    }

    await app.listen(config.management.port, config.management.host);
    const deployment = await app
      .get(DeploymentListener)
      .listen(app.getHttpAdapter().getInstance(), config.deployment.host, config.deployment.port);
    return {
      app,
      managementPort: (app.getHttpServer().address() as AddressInfo).port,
      deploymentPort: deployment.port,
      close: () => app.close().finally(release),
    };
  } catch (error) {
    await app.close().catch(() => undefined);
    release();
    throw error;
  }
}

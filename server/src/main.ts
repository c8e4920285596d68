import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { join } from 'node:path';
import { TlsSetupError } from './app/management-tls';
import { startServer } from './app/start-server';
import { ConfigError, loadConfig } from './config/load-config';
import { DataDirTaken } from './database/sqlite-owner';
import { createLogger } from './logging/logger';
import { OPENAPI_PATH } from './web/openapi';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, {
      defaultWebRoot: join(__dirname, '../web/browser'),
      defaultNetbootBuildDir: join(__dirname, '../netboot'),
      defaultHookPath: join(__dirname, '../../infra/dnsmasq/rpi-deploy-dhcp-hook.sh'),
      defaultTemplateDir: join(__dirname, '../../tftpboot'),
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${error.message}\nFix the environment variables above and start again.`);
    process.exit(2);
  }
  const logger = createLogger(config);
  const log = new Logger('Bootstrap');
  Logger.overrideLogger(logger);

  const server = await startServer(config, { logger, handleSignals: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') {
      log.fatal(`A port is already in use (${error.message}): stop the other process or set MGMT_PORT / DEPLOY_PORT`);
    } else if (error instanceof DataDirTaken) {
      log.fatal(error.message);
    } else if (error instanceof TlsSetupError) {
      log.fatal(`${error.message}. Fix TLS_CERT / TLS_KEY and start again.`);
    } else {
      log.fatal(`Could not start: ${error.stack ?? error}`);
    }
    process.exit(1);
  });

  const shown = (host: string) => (host === '0.0.0.0' || host === '::' ? 'localhost' : host);
  const scheme = config.management.tls ? 'https' : 'http';
  const dashboard = `${scheme}://${shown(config.management.host)}:${server.managementPort}`;
  log.log(`Dashboard and management API: ${dashboard}/  (API docs: ${dashboard}${OPENAPI_PATH})`);
  log.log(
    `Deployment API for the Pis on ${config.deployment.host}:${server.deploymentPort}, ` +
      `handed out as ${config.deployment.publicUrl}`,
  );
  log.log(`Database: ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `SQLite in ${config.dataDir}`}`);

  // A stuck connection must not keep a stopping server alive forever (systemd would SIGKILL).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.log(`${signal} received: finishing open requests and shutting down`);
      setTimeout(() => {
        log.warn('Open connections did not finish within 10 s: exiting anyway');
        process.exit(0);
      }, 10_000).unref();
    });
  }
}

void main();

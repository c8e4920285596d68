import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import type { AppConfig, LogLevelName } from '../config/app-config';

/** LOG_LEVEL names (the usual ones) mapped onto Nest's levels, most severe first. */
const NEST_LEVELS: Record<LogLevelName, LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  verbose: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** Nest's start-up chatter (one line per module and route): useful when debugging only. */
const START_UP_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

class AppLogger extends ConsoleLogger {
  // Nest passes the context as the last argument.
  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && START_UP_CONTEXTS.has(context)) super.debug(message, ...(rest as [string]));
    else super.log(message, ...(rest as [string]));
  }
}

/** One JSON object per line for journald and log shippers; colour for a person at a terminal. */
export function createLogger(config: Pick<AppConfig, 'logLevel' | 'logFormat'>): ConsoleLogger {
  return new AppLogger('rpi-deploy', {
    logLevels: NEST_LEVELS[config.logLevel],
    json: config.logFormat === 'json',
    colors: config.logFormat === 'pretty',
    timestamp: config.logFormat === 'pretty',
  });
}

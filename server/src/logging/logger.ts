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

/** One JSON object per line for journald and log shippers; colour for a person at a terminal. */
export function createLogger(config: Pick<AppConfig, 'logLevel' | 'logFormat'>): ConsoleLogger {
  return new ConsoleLogger('rpi-deploy', {
    logLevels: NEST_LEVELS[config.logLevel],
    json: config.logFormat === 'json',
    colors: config.logFormat === 'pretty',
    timestamp: config.logFormat === 'pretty',
  });
}

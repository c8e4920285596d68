import { Injectable, Logger } from '@nestjs/common';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';

export interface DeploymentLogLine {
  at: Date;
  ip: string | null;
  hostname: string;
  serial: string;
  status: string;
  message: string | null;
}

/**
 * DATA_DIR/logs/deployment_YYYYMMDD.log: one line per event (time, IP, hostname, serial, status,
 * message), tab-separated, UTC days. Lines are appended in order; a failed write is logged
 * and never fails the request (the database holds the record).
 */
@Injectable()
export class DeploymentLog {
  private readonly logger = new Logger('DeploymentLog');
  private readonly folder: string;
  private tail: Promise<void> = Promise.resolve();

  constructor(config: AppConfig) {
    this.folder = join(config.dataDir, 'logs');
  }

  append(line: DeploymentLogLine): Promise<void> {
    const day = line.at.toISOString().slice(0, 10).replace(/-/g, '');
    const text =
      [line.at.toISOString(), line.ip ?? '-', line.hostname, line.serial, line.status, oneLine(line.message)].join(
        '\t',
      ) + '\n';
    this.tail = this.tail
      .then(() => mkdir(this.folder, { recursive: true }))
      .then(() => appendFile(join(this.folder, `deployment_${day}.log`), text))
      .catch((error: Error) => this.logger.error(`cannot write the deployment log: ${error.message}`));
    return this.tail;
  }
}

function oneLine(text: string | null): string {
  return (text ?? '').replace(/[\t\r\n]+/g, ' ').trim() || '-';
}

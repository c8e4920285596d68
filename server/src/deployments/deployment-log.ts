import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
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
 * message), tab-separated, UTC days. Lines go through one append stream per day, in order and
 * without making a request wait for the disk; the database holds the authoritative record, so a
 * failed write is logged and never fails a request.
 */
@Injectable()
export class DeploymentLog implements OnModuleDestroy {
  private readonly logger = new Logger('DeploymentLog');
  private readonly folder: string;
  private current?: { day: string; stream: WriteStream };

  constructor(config: AppConfig) {
    this.folder = join(config.dataDir, 'logs');
  }

  append(line: DeploymentLogLine): void {
    const day = line.at.toISOString().slice(0, 10).replace(/-/g, '');
    const text =
      [line.at.toISOString(), line.ip ?? '-', line.hostname, line.serial, line.status, oneLine(line.message)].join(
        '\t',
      ) + '\n';
    const stream = this.streamFor(day);
    // The lines of one batch of reports (one event-loop turn) go to the file in one write.
    if (!stream.writableCorked) {
      stream.cork();
      process.nextTick(() => stream.uncork());
    }
    stream.write(text);
  }

  onModuleDestroy(): Promise<void> {
    const stream = this.current?.stream;
    this.current = undefined;
    return new Promise((resolve) => (stream ? stream.end(resolve) : resolve()));
  }

  private streamFor(day: string): WriteStream {
    if (this.current?.day === day) return this.current.stream;
    this.current?.stream.end();
    mkdirSync(this.folder, { recursive: true });
    const stream = createWriteStream(join(this.folder, `deployment_${day}.log`), { flags: 'a' });
    stream.on('error', (error) => this.logger.error(`cannot write the deployment log: ${error.message}`));
    this.current = { day, stream };
    return stream;
  }
}

function oneLine(text: string | null): string {
  return (text ?? '').replace(/[\t\r\n]+/g, ' ').trim() || '-';
}

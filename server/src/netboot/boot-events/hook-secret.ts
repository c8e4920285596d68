import { Injectable, type OnModuleInit } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppConfig } from '../../config/app-config';

/**
 * The local secret the dnsmasq hook presents (X-Netboot-Secret): DATA_DIR/netboot/hook.secret,
 * generated on first start, readable by the service's group so dnsmasq's user can send it.
 */
@Injectable()
export class HookSecret implements OnModuleInit {
  readonly path: string;
  private secret = Buffer.alloc(0);

  constructor(config: AppConfig) {
    this.path = join(config.dataDir, 'netboot', 'hook.secret');
  }

  async onModuleInit(): Promise<void> {
    const existing = await readFile(this.path, 'utf8').catch(() => undefined);
    if (existing?.trim()) {
      this.secret = Buffer.from(existing.trim());
      return;
    }
    await mkdir(dirname(this.path), { recursive: true });
    const generated = randomBytes(32).toString('hex');
    await writeFile(this.path, `${generated}\n`, { mode: 0o640, flag: 'w' });
    this.secret = Buffer.from(generated);
  }

  matches(presented: string | undefined): boolean {
    if (!presented || this.secret.length === 0) return false;
    const given = Buffer.from(presented.trim());
    return given.length === this.secret.length && timingSafeEqual(given, this.secret);
  }
}

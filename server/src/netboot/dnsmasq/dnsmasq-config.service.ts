import { Injectable, UnprocessableEntityException } from '@nestjs/common';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { NetbootStatusDto } from '@rpi-deploy/contracts';
import { AppConfig } from '../../config/app-config';
import { checkDnsmasqConfig, type DnsmasqCheck } from './dnsmasq-check';
import { renderDnsmasqConfig, type DnsmasqSettings } from './dnsmasq-config';
import { dnsmasqSettingsOf } from './dnsmasq-settings';
import { findDnsmasqProcess } from './dnsmasq-process';

/** The server's own dnsmasq configuration: rendered from NETBOOT_* settings, checked, written. */
@Injectable()
export class DnsmasqConfigService {
  constructor(private readonly config: AppConfig) {}

  get settings(): DnsmasqSettings {
    return dnsmasqSettingsOf(this.config);
  }

  render(): string {
    try {
      return renderDnsmasqConfig(this.settings);
    } catch (error) {
      throw new UnprocessableEntityException((error as Error).message);
    }
  }

  /** Checks the rendered configuration with `dnsmasq --test`, then replaces the file atomically. */
  async write(): Promise<{ path: string; check: DnsmasqCheck }> {
    const text = this.render();
    const check = await checkDnsmasqConfig(text);
    if (!check.ok) throw new UnprocessableEntityException(`dnsmasq refuses the configuration: ${check.output}`);
    const path = this.config.netboot.dnsmasqConfigPath;
    await mkdir(dirname(path), { recursive: true });
    await mkdir(dirname(this.config.netboot.dnsmasqLogPath), { recursive: true });
    await writeFile(`${path}.new`, text, { mode: 0o644 });
    await rename(`${path}.new`, path);
    return { path, check };
  }

  /** What is on disk, or null. */
  written(): Promise<string | null> {
    return readFile(this.config.netboot.dnsmasqConfigPath, 'utf8').catch(() => null);
  }

  async status(): Promise<NetbootStatusDto['dnsmasq']> {
    const pid = await findDnsmasqProcess(this.config.netboot.dnsmasqConfigPath);
    return {
      running: pid !== null,
      pid,
      configPath: this.config.netboot.dnsmasqConfigPath,
      logPath: this.config.netboot.dnsmasqLogPath,
    };
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { execFile } from 'node:child_process';
import { access, constants, stat, statfs } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { dirname, join } from 'node:path';
import type { DataSource } from 'typeorm';
import { PRODUCT_CODES, type PreflightCheckDto, type PreflightReportDto } from '@rpi-deploy/contracts';
import { AppConfig } from '../config/app-config';
import { ImagesService } from '../images/images.service';
import { probeDhcpServers, type DhcpOffer } from './dhcp-probe';
import { nginxLayoutChecks } from './nginx-layout';
import { checkDnsmasqConfig } from '../netboot/dnsmasq/dnsmasq-check';
import { dnsmasqSettingsProblems } from '../netboot/dnsmasq/dnsmasq-config';
import { DnsmasqConfigService } from '../netboot/dnsmasq/dnsmasq-config.service';
import { INITRAMFS_NAME } from '../netboot/tftp/boot-set';
import { TftpRootService } from '../netboot/tftp/tftp-root.service';

/** The clock must be past this for TLS, logs and lease times to make sense. */
const EARLIEST_SANE_TIME = Date.parse('2025-01-01T00:00:00Z');

type Check = Omit<PreflightCheckDto, 'ok'> & { ok: boolean };

/**
 * The pre-flight checklist of a deployment server (`rpi-deploy validate`, dashboard Netboot
 * page): every check says what it found and, when it fails, what to do.
 */
@Injectable()
export class PreflightService {
  constructor(
    private readonly config: AppConfig,
    private readonly dnsmasq: DnsmasqConfigService,
    private readonly tftp: TftpRootService,
    private readonly images: ImagesService,
    @InjectDataSource() private readonly database: DataSource,
  ) {}

  async run(): Promise<PreflightReportDto> {
    const checks = await Promise.all([
      this.interfaceCheck(),
      this.settingsCheck(),
      this.otherDhcpServersCheck(),
      this.dnsmasqConfigCheck(),
      this.dnsmasqProcessCheck(),
      this.tftpRootCheck(),
      this.tftpReadableCheck(),
      this.hookCheck(),
      this.netbootBuildCheck(),
      this.activeImagesCheck(),
      this.diskCheck(),
      this.databaseCheck(),
      this.publicUrlCheck(),
      this.clockCheck(),
    ]);
    checks.push(...(await this.nginxChecks()));
    return { ok: checks.every((check) => check.ok), checkedAt: new Date().toISOString(), checks };
  }

  private async interfaceCheck(): Promise<Check> {
    const { interface: name, serverIp } = this.config.netboot;
    const addresses = networkInterfaces()[name];
    const base = { id: 'interface', title: `Deployment interface ${name} has ${serverIp}` };
    if (!addresses) {
      return {
        ...base,
        ok: false,
        detail: `no interface ${name}`,
        fix: 'Set NETBOOT_INTERFACE to the NIC on the deployment VLAN (ip -br link)',
      };
    }
    const found = addresses.filter((a) => a.family === 'IPv4').map((a) => a.address);
    if (!found.includes(serverIp)) {
      return {
        ...base,
        ok: false,
        detail: `${name} has ${found.join(', ') || 'no IPv4 address'}`,
        fix: `Give ${name} the static address ${serverIp} (netplan / ifupdown) or set NETBOOT_SERVER_IP`,
      };
    }
    return { ...base, ok: true, detail: `${name}: ${found.join(', ')}` };
  }

  /** Another DHCP server on the deployment VLAN answers the Pis first and they never netboot from us. */
  private async otherDhcpServersCheck(): Promise<Check> {
    const { interface: name, serverIp } = this.config.netboot;
    const base = { id: 'other-dhcp-servers', title: `No other DHCP server answers on ${name}` };
    const holdsAddress = (networkInterfaces()[name] ?? []).some((a) => a.family === 'IPv4' && a.address === serverIp);
    if (!holdsAddress) {
      return {
        ...base,
        ok: false,
        detail: `not probed: ${name} does not hold ${serverIp}`,
        fix: 'Fix the deployment interface first (see its check)',
      };
    }
    let offers: DhcpOffer[];
    try {
      offers = await probeDhcpServers(serverIp);
    } catch (error) {
      return {
        ...base,
        ok: false,
        detail: (error as Error).message,
        fix: 'Run the server with CAP_NET_BIND_SERVICE (infra/systemd/rpi-deploy.service)',
      };
    }
    const others = offers.filter((offer) => offer.serverId !== serverIp);
    const ours = offers.length > others.length ? `ours (${serverIp}) answered` : `ours (${serverIp}) did not answer`;
    if (others.length === 0) return { ...base, ok: true, detail: `a DHCP probe found no other server; ${ours}` };
    const found = others.map((offer) =>
      offer.from === offer.serverId
        ? `${offer.serverId} (offered ${offer.offered})`
        : `${offer.serverId} via ${offer.from} (offered ${offer.offered})`,
    );
    return {
      ...base,
      ok: false,
      detail: `${others.length === 1 ? 'another DHCP server answers' : `${others.length} other DHCP servers answer`}: ${found.join(', ')}; ${ours}`,
      fix: `Switch off DHCP on ${others.map((offer) => offer.serverId).join(', ')} for the deployment VLAN (a router or an old deployment server): Pis that take its lease never netboot from this server`,
    };
  }

  private settingsCheck(): Check {
    const problems = dnsmasqSettingsProblems(this.dnsmasq.settings);
    const { first, last } = this.config.netboot.dhcpRange;
    return problems.length === 0
      ? {
          id: 'dhcp-range',
          title: 'DHCP range fits the deployment subnet',
          ok: true,
          detail: `${first} - ${last}, lease ${this.config.netboot.leaseTime}`,
        }
      : {
          id: 'dhcp-range',
          title: 'DHCP range fits the deployment subnet',
          ok: false,
          detail: problems.join('; '),
          fix: 'Correct NETBOOT_DHCP_RANGE, NETBOOT_NETMASK or NETBOOT_SERVER_IP',
        };
  }

  private async dnsmasqConfigCheck(): Promise<Check> {
    const base = { id: 'dnsmasq-config', title: 'dnsmasq configuration is current and valid' };
    const fix = 'Write it: rpi-deploy netboot apply-dnsmasq (then restart rpi-deploy-dnsmasq)';
    let rendered: string;
    try {
      rendered = this.dnsmasq.render();
    } catch (error) {
      return { ...base, ok: false, detail: (error as Error).message, fix: 'Correct the NETBOOT_* settings' };
    }
    const written = await this.dnsmasq.written();
    const path = this.config.netboot.dnsmasqConfigPath;
    if (written === null) return { ...base, ok: false, detail: `${path} does not exist`, fix };
    if (written !== rendered) return { ...base, ok: false, detail: `${path} differs from the current settings`, fix };
    const check = await checkDnsmasqConfig(written);
    return check.ok
      ? { ...base, ok: true, detail: `${path}: ${check.output}` }
      : {
          ...base,
          ok: false,
          detail: check.output,
          fix: 'Install dnsmasq (apt install dnsmasq-base) or correct the settings',
        };
  }

  private async dnsmasqProcessCheck(): Promise<Check> {
    const status = await this.dnsmasq.status();
    return status.running
      ? {
          id: 'dnsmasq-process',
          title: 'dnsmasq is running with this configuration',
          ok: true,
          detail: `pid ${status.pid}`,
        }
      : {
          id: 'dnsmasq-process',
          title: 'dnsmasq is running with this configuration',
          ok: false,
          detail: `no dnsmasq process uses ${status.configPath}`,
          fix: 'systemctl enable --now rpi-deploy-dnsmasq (journalctl -u rpi-deploy-dnsmasq tells why it stopped)',
        };
  }

  private async tftpRootCheck(): Promise<Check> {
    const status = await this.tftp.status();
    return status.complete
      ? {
          id: 'tftp-root',
          title: 'TFTP root holds everything a Pi 5 boots',
          ok: true,
          detail: `${status.root}: ${status.images.map((i) => `${i.product} ${i.version}`).join(', ')}, synced ${status.syncedAt}`,
        }
      : {
          id: 'tftp-root',
          title: 'TFTP root holds everything a Pi 5 boots',
          ok: false,
          detail: `${status.root}: missing ${status.missing.join(', ')}`,
          fix: 'rpi-deploy netboot sync-tftp (after activating an image and npm run build:initramfs)',
        };
  }

  /** dnsmasq serves files as an unprivileged user: every folder on the way must let others through. */
  private async tftpReadableCheck(): Promise<Check> {
    const base = { id: 'tftp-readable', title: "TFTP root is readable by dnsmasq's user" };
    const release = (await this.tftp.currentRelease()) ?? this.config.netboot.tftpRoot;
    const closed: string[] = [];
    for (let folder = dirname(release); folder !== dirname(folder); folder = dirname(folder)) {
      const mode = await stat(folder)
        .then((s) => s.mode)
        .catch(() => null);
      if (mode !== null && (mode & 0o001) === 0) closed.push(folder);
    }
    return closed.length === 0
      ? { ...base, ok: true, detail: release }
      : {
          ...base,
          ok: false,
          detail: `not traversable by others: ${closed.join(', ')}`,
          fix: `chmod o+x ${closed.join(' ')} (or set TFTP_ROOT outside DATA_DIR, e.g. /srv/tftp/root)`,
        };
  }

  private async hookCheck(): Promise<Check> {
    const path = this.config.netboot.hookPath;
    const executable = await access(path, constants.X_OK).then(
      () => true,
      () => false,
    );
    return executable
      ? { id: 'hook', title: 'dnsmasq hook is installed', ok: true, detail: path }
      : {
          id: 'hook',
          title: 'dnsmasq hook is installed',
          ok: false,
          detail: `${path} is missing or not executable`,
          fix: 'Reinstall (infra/install-server.sh) or set NETBOOT_HOOK',
        };
  }

  private async netbootBuildCheck(): Promise<Check> {
    const dir = this.config.netboot.buildDir;
    const missing: string[] = [];
    for (const name of [INITRAMFS_NAME, 'runtime.tar.zst']) {
      if (!(await stat(join(dir, name)).catch(() => null))) missing.push(name);
    }
    return missing.length === 0
      ? { id: 'netboot-build', title: 'Netboot initramfs and runtime are built', ok: true, detail: dir }
      : {
          id: 'netboot-build',
          title: 'Netboot initramfs and runtime are built',
          ok: false,
          detail: `${dir}: missing ${missing.join(', ')}`,
          fix: 'npm run build:initramfs (or set NETBOOT_BUILD_DIR)',
        };
  }

  private async activeImagesCheck(): Promise<Check> {
    const active = await Promise.all(
      PRODUCT_CODES.map(async (product) => [product, await this.images.active(product)] as const),
    );
    const detail = active.map(([product, image]) => `${product}: ${image ? image.version : 'none'}`).join(', ');
    return active.some(([, image]) => image)
      ? { id: 'active-images', title: 'An image is active for the products to deploy', ok: true, detail }
      : {
          id: 'active-images',
          title: 'An image is active for the products to deploy',
          ok: false,
          detail,
          fix: 'Upload and activate an image: rpi-deploy image upload FILE --product KXP2 --version X --activate',
        };
  }

  private async diskCheck(): Promise<Check> {
    const stats = await statfs(this.config.dataDir);
    const free = stats.bavail * stats.bsize;
    const reserve = this.config.images.diskReserveBytes;
    const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
    return free >= reserve
      ? {
          id: 'disk',
          title: 'Free disk space for images and logs',
          ok: true,
          detail: `${gib(free)} free in ${this.config.dataDir}`,
        }
      : {
          id: 'disk',
          title: 'Free disk space for images and logs',
          ok: false,
          detail: `${gib(free)} free, ${gib(reserve)} required`,
          fix: 'Delete old images or grow the disk',
        };
  }

  private async databaseCheck(): Promise<Check> {
    try {
      await this.database.query('SELECT 1');
      return {
        id: 'database',
        title: 'Database answers',
        ok: true,
        detail: this.config.databaseUrl ? 'PostgreSQL' : `SQLite in ${this.config.dataDir}`,
      };
    } catch (error) {
      return {
        id: 'database',
        title: 'Database answers',
        ok: false,
        detail: (error as Error).message,
        fix: 'Check DATABASE_URL and that the database server runs',
      };
    }
  }

  /** nginx in front (the production layout): ports, proxy targets, and the files its worker sends. */
  private nginxChecks(): Promise<PreflightCheckDto[]> {
    const { management, deployment, dataDir, images, nginxConfDir } = this.config;
    return nginxLayoutChecks(nginxConfDir, {
      management,
      deployment,
      dataDir,
      accel: { images: images.accelRedirectPrefix, chunks: images.chunksAccelRedirectPrefix },
    });
  }

  /** Pis fetch images from DEPLOY_PUBLIC_URL: it must point at this server's deployment address. */
  private publicUrlCheck(): Check {
    const url = new URL(this.config.deployment.publicUrl);
    const local = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
    const base = { id: 'public-url', title: 'Pis can reach the deployment listener' };
    return local.includes(url.hostname) || url.hostname === this.config.netboot.serverIp
      ? {
          ...base,
          ok: true,
          detail: `${url.origin} (port ${this.config.deployment.port} on ${this.config.deployment.host})`,
        }
      : {
          ...base,
          ok: false,
          detail: `DEPLOY_PUBLIC_URL ${url.origin} is not an address of this server`,
          fix: `Set DEPLOY_PUBLIC_URL=http://${this.config.netboot.serverIp}:${this.config.deployment.port}`,
        };
  }

  private async clockCheck(): Promise<Check> {
    const now = new Date();
    const base = { id: 'clock', title: 'System clock is set and synchronised' };
    if (now.getTime() < EARLIEST_SANE_TIME) {
      return {
        ...base,
        ok: false,
        detail: now.toISOString(),
        fix: 'Set the clock and enable NTP (timedatectl set-ntp true)',
      };
    }
    const synchronised = await new Promise<string | null>((resolve) =>
      execFile('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeout: 3000 }, (error, stdout) =>
        resolve(error ? null : stdout.trim()),
      ),
    );
    if (synchronised === 'no') {
      return {
        ...base,
        ok: false,
        detail: `${now.toISOString()}, NTP not synchronised`,
        fix: 'timedatectl set-ntp true (and allow NTP on the management VLAN)',
      };
    }
    return { ...base, ok: true, detail: `${now.toISOString()}${synchronised === 'yes' ? ', NTP synchronised' : ''}` };
  }
}

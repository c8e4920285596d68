import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import {
  SOCKET_EVENTS,
  type DeploymentDto,
  type DevicesSeenEvent,
  type NetbootDeviceDto,
  type NetbootEventDto,
  type NetbootEventKind,
} from '@rpi-deploy/contracts';
import { AppConfig } from '../../config/app-config';
import { DeploymentChanges } from '../../deployments/deployment-changes';
import { LiveEvents } from '../../live/live-events';
import { TickBatch } from '../../live/tick-batch';
import type { DnsmasqLogEntry } from '../dnsmasq/dnsmasq-log-parser';
import type { HookEvent } from './hook-event';

/** How many recent events and devices are kept (in memory: they describe the last hours). */
const MAX_EVENTS = 2000;
const MAX_DEVICES = 2000;
/** A `failed sending` this soon after an `Early terminate` from the same address is a probe. */
const PROBE_WINDOW_MS = 2000;

/**
 * Units seen on the deployment network, from DHCP to the installer: dnsmasq's log and hook
 * say who asked for an address and which files went where; a deployment for the same MAC
 * or serial links the unit to its install. Every change goes out at once as `device.seen`, and
 * to the dashboards once per tick in `devices.seen`.
 */
@Injectable()
export class NetbootDevices implements OnModuleInit, OnModuleDestroy {
  private readonly devices = new Map<string, NetbootDeviceDto>();
  private readonly macByIp = new Map<string, string>();
  private readonly earlyTerminateAt = new Map<string, number>();
  private readonly events: NetbootEventDto[] = [];
  private nextEventId = 1;
  private subscription?: Subscription;
  private readonly seen = new TickBatch<NetbootDeviceDto>(
    (device) => device.mac,
    (devices: DevicesSeenEvent) => this.live.publish(SOCKET_EVENTS.devicesSeen, devices),
  );

  constructor(
    private readonly config: AppConfig,
    private readonly live: LiveEvents,
    private readonly deployments: DeploymentChanges,
  ) {}

  onModuleInit(): void {
    this.subscription = this.deployments.changed$.subscribe((deployment) => this.linkDeployment(deployment));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    this.seen.close();
  }

  list(): NetbootDeviceDto[] {
    return [...this.devices.values()].sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt));
  }

  get(mac: string): NetbootDeviceDto | undefined {
    return this.devices.get(mac.toLowerCase());
  }

  /** Newest first. */
  recentEvents(limit = 200, mac?: string): NetbootEventDto[] {
    const wanted = mac?.toLowerCase();
    const result: NetbootEventDto[] = [];
    for (let i = this.events.length - 1; i >= 0 && result.length < limit; i--) {
      if (!wanted || this.events[i].mac === wanted) result.push(this.events[i]);
    }
    return result;
  }

  recordLogEntry(entry: DnsmasqLogEntry): void {
    const now = Date.now();
    if ('mac' in entry) {
      if (entry.ip) this.macByIp.set(entry.ip, entry.mac);
      const words = { 'dhcp-discover': 'asked for an address', 'dhcp-offer': 'offered', 'dhcp-ack': 'leased' };
      this.record(entry.kind, entry.mac, entry.ip, null, null, `${words[entry.kind]}${entry.ip ? ` ${entry.ip}` : ''}`);
      return;
    }
    const mac = this.macByIp.get(entry.ip) ?? null;
    if (entry.kind === 'tftp-error') {
      if (entry.code === 0 && /early terminate/i.test(entry.message)) {
        // The bootloader reads one block to see whether a file exists, then stops: not a failure.
        this.earlyTerminateAt.set(entry.ip, now);
        return;
      }
      this.record('tftp-error', mac, entry.ip, null, null, `TFTP error ${entry.code}: ${entry.message}`);
      return;
    }
    const file = this.relativeToRoot(entry.path);
    if (entry.kind === 'tftp-failed') {
      const probe = now - (this.earlyTerminateAt.get(entry.ip) ?? 0) < PROBE_WINDOW_MS;
      this.earlyTerminateAt.delete(entry.ip);
      this.record(
        probe ? 'tftp-probe' : 'tftp-error',
        mac,
        entry.ip,
        file,
        null,
        probe ? `probed ${file}` : `failed sending ${file}`,
      );
      return;
    }
    const kind = entry.kind === 'tftp-sent' ? 'tftp-sent' : 'tftp-not-found';
    this.record(
      kind,
      mac,
      entry.ip,
      file,
      null,
      kind === 'tftp-sent' ? `sent ${file}` : `${file} not found`,
      (device) => {
        if (kind === 'tftp-sent') {
          device.filesServed += 1;
          device.lastFile = file;
        }
        // The bootloader looks for <serial8>/config.txt first: the first sign of its serial.
        const prefix = /^([0-9a-f]{8})\//.exec(file)?.[1];
        if (prefix && (device.serial === null || device.serial.length === 8)) device.serial = prefix;
      },
    );
  }

  recordHookEvent(event: HookEvent): void {
    if (event.action === 'tftp') {
      // Successful transfers: the log already counted the file, the hook knows its size.
      const device = this.deviceForIp(event.ip);
      if (device) {
        device.bytesServed += event.bytes;
        device.lastSeenAt = new Date().toISOString();
        this.announce(device);
      }
      return;
    }
    this.macByIp.set(event.ip, event.mac);
    const kind: NetbootEventKind = `lease-${event.action}`;
    const words = { add: 'new lease', old: 'lease renewed', del: 'lease ended' };
    this.record(
      kind,
      event.mac,
      event.ip,
      null,
      null,
      `${words[event.action]} ${event.ip}${event.vendorClass ? ` (${event.vendorClass})` : ''}`,
    );
  }

  private record(
    kind: NetbootEventKind,
    mac: string | null,
    ip: string | null,
    file: string | null,
    bytes: number | null,
    message: string,
    update?: (device: NetbootDeviceDto) => void,
  ): void {
    const at = new Date().toISOString();
    this.events.push({ id: this.nextEventId++, at, kind, mac, ip, file, bytes, message });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    if (!mac) return;
    const device = this.devices.get(mac) ?? this.newDevice(mac, at);
    device.lastSeenAt = at;
    if (ip) device.ip = ip;
    if (kind.startsWith('tftp') && device.phase === 'dhcp') device.phase = 'tftp';
    update?.(device);
    this.announce(device);
  }

  private announce(device: NetbootDeviceDto): void {
    const snapshot = { ...device };
    this.live.publish(SOCKET_EVENTS.deviceSeen, snapshot);
    this.seen.add(snapshot);
  }

  private newDevice(mac: string, at: string): NetbootDeviceDto {
    const device: NetbootDeviceDto = {
      mac,
      ip: null,
      serial: null,
      phase: 'dhcp',
      firstSeenAt: at,
      lastSeenAt: at,
      filesServed: 0,
      bytesServed: 0,
      lastFile: null,
      deploymentId: null,
      hostname: null,
    };
    this.devices.set(mac, device);
    if (this.devices.size > MAX_DEVICES) {
      const oldest = [...this.devices.values()].sort((a, b) => a.lastSeenAt.localeCompare(b.lastSeenAt))[0];
      this.devices.delete(oldest.mac);
    }
    return device;
  }

  private deviceForIp(ip: string): NetbootDeviceDto | undefined {
    const mac = this.macByIp.get(ip);
    return mac ? this.devices.get(mac) : undefined;
  }

  /** The installer asked for its config: that unit's netboot ends here, its deployment begins. */
  private linkDeployment(deployment: DeploymentDto): void {
    const mac = deployment.mac.toLowerCase();
    const device =
      this.devices.get(mac) ??
      [...this.devices.values()].find((d) => d.serial !== null && deployment.serial.toLowerCase().endsWith(d.serial));
    if (!device || (device.deploymentId === deployment.id && device.phase === 'installer')) return;
    device.phase = 'installer';
    device.deploymentId = deployment.id;
    device.hostname = deployment.hostname;
    device.serial = deployment.serial.toLowerCase();
    if (deployment.ip) device.ip = deployment.ip;
    device.lastSeenAt = new Date().toISOString();
    this.announce(device);
  }

  private relativeToRoot(path: string): string {
    const root = `${this.config.netboot.tftpRoot.replace(/\/+$/, '')}/`;
    return path.startsWith(root) ? path.slice(root.length) : path.replace(/^\/+/, '');
  }
}

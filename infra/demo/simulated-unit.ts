/**
 * One simulated Pi 5: a regular file as its SD card, its own throttled link to the deployment
 * listener, and the real installer bundle running against both, as the netbooted Pi runs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeploymentStatus, StatusReport } from '@rpi-deploy/contracts';
import type { PlannedUnit } from './fleet-plan';
import type { NetbootActivity } from './netboot-activity';
import { openUnitLink, type LinkFaults, type UnitLink } from './unit-link';

/** A 32 GB card as the kernel reports it (sparse: only what the installer writes takes space). */
const CARD_BYTES = 31_914_983_424;
const MiB = 1 << 20;

export interface UnitSettings {
  installer: string;
  workDir: string;
  deploymentUrl: string;
  bytesPerSecond: number;
  product: string;
  venue: string;
  image: { size: number; mappedBytes: number };
  /** Emits the DHCP and TFTP traffic of a netboot before the installer starts. */
  netboot: NetbootActivity;
}

export interface UnitListener {
  onHostname(unit: SimulatedUnit): void;
  onPhase(unit: SimulatedUnit, report: StatusReport): void;
  onNote(unit: SimulatedUnit, note: string): void;
}

export interface UnitResult {
  /** The last status the installer reported, or why it reported none. */
  status: DeploymentStatus | 'no configuration' | 'stopped';
  seconds: number;
  /** Image bytes that went through the unit's link. */
  imageBytes?: number;
}

export class SimulatedUnit {
  hostname?: string;
  status?: DeploymentStatus;
  progress = 0;
  result?: UnitResult;
  startedAt?: number;
  readonly logFile: string;
  private child?: ChildProcess;
  private link?: UnitLink;
  private stopped = false;

  constructor(
    readonly plan: PlannedUnit,
    private readonly settings: UnitSettings,
    private readonly listener: UnitListener,
  ) {
    this.logFile = join(settings.workDir, `unit-${this.number}.log`);
  }

  get number(): string {
    return String(this.plan.index).padStart(2, '0');
  }

  /** Powers the unit on (netboot, then the installer) and resolves when its installer has exited. */
  async run(): Promise<UnitResult> {
    this.startedAt = performance.now();
    await this.settings.netboot.boot({ serial: this.plan.serial, mac: this.plan.mac, ip: this.plan.ip });
    if (this.stopped) return (this.result = { status: 'stopped', seconds: 0 });
    const card = join(this.settings.workDir, `card-${this.number}.img`);
    writeFileSync(card, '');
    truncateSync(card, this.cardBytes());
    this.link = await openUnitLink({
      deploymentUrl: this.settings.deploymentUrl,
      bytesPerSecond: this.settings.bytesPerSecond,
      faults: this.faults(),
      observer: {
        onConfig: (config) => {
          this.hostname = config.hostname;
          this.listener.onHostname(this);
        },
        onStatus: (report) => this.observe(report),
        onCut: (at) => this.listener.onNote(this, `link dropped after ${(at / MiB).toFixed(1)} MiB (should resume)`),
        onFlip: (at) => this.listener.onNote(this, `byte ${at} of the download corrupted on the wire`),
      },
    });
    if (this.stopped) return (this.result = { status: 'stopped', seconds: 0 });
    const log = openSync(this.logFile, 'w');
    const args = [this.settings.installer, '--server', this.link.url, '--device', card];
    args.push('--serial', this.plan.serial, '--mac', this.plan.mac);
    args.push('--product', this.settings.product, '--venue', this.settings.venue, '--no-reboot');
    this.child = spawn(process.execPath, args, { stdio: ['ignore', log, log] });
    closeSync(log);
    const exitCode = await new Promise<number | null>((done) => {
      this.child!.once('error', () => done(null));
      this.child!.once('exit', (code) => done(code));
    });
    await this.link.close();
    this.result = {
      status: this.stopped ? 'stopped' : exitCode === 3 ? 'no configuration' : (this.status ?? 'failed'),
      seconds: (performance.now() - this.startedAt) / 1000,
      imageBytes: this.link.imageBytes(),
    };
    return this.result;
  }

  /** Pulls the plug: the installer is killed and the link closed. */
  stop(): void {
    this.stopped = true;
    this.child?.kill('SIGTERM');
    void this.link?.close();
  }

  private observe(report: StatusReport | undefined): void {
    if (!report?.status) return;
    if (report.progress !== undefined) this.progress = report.progress;
    if (report.status === this.status) return;
    this.status = report.status;
    this.listener.onPhase(this, report);
  }

  private cardBytes(): number {
    if (this.plan.scenario !== 'card-too-small') return CARD_BYTES;
    return Math.floor(this.settings.image.size / 2 / MiB) * MiB;
  }

  /** Faults land in the middle of the download, so the progress bar has moved when they hit. */
  private faults(): LinkFaults {
    const transfer = this.settings.image.mappedBytes;
    if (this.plan.scenario === 'flaky-link') return { cutAfterBytes: Math.floor(transfer * 0.45) };
    if (this.plan.scenario === 'corrupt-download') return { flipByteAt: Math.floor(transfer * 0.6) };
    return {};
  }
}

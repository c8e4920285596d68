/** Netboot: what the dashboard and `rpi-deploy` see of dnsmasq, the TFTP root and booting units. */

/** One pre-flight check (`rpi-deploy validate`, dashboard Netboot page). */
export interface PreflightCheckDto {
  /** Stable identifier, e.g. "dnsmasq-config", "tftp-root", "active-image-KXP2". */
  id: string;
  /** What was checked, one short line. */
  title: string;
  ok: boolean;
  /** What was found (address, path, version, free bytes...). */
  detail: string;
  /** When not ok: what to do about it. */
  fix?: string;
}

export interface PreflightReportDto {
  ok: boolean;
  checkedAt: string;
  checks: PreflightCheckDto[];
}

/** GET /api/netboot/status */
export interface NetbootStatusDto {
  dnsmasq: {
    /** A dnsmasq process serving our configuration was found. */
    running: boolean;
    pid: number | null;
    configPath: string;
    logPath: string;
  };
  tftp: {
    root: string;
    /** Every file a Pi 5 needs is in the root. */
    complete: boolean;
    /** Last sync-tftp: when, and from which active images. */
    syncedAt: string | null;
    images: { product: string; imageId: string; version: string }[];
    missing: string[];
  };
}

/** How far a unit has come on its way from power-on to the installer. */
export type NetbootPhase = 'dhcp' | 'tftp' | 'installer';

/** A unit seen on the deployment network (GET /api/netboot/devices, socket `device.seen`). */
export interface NetbootDeviceDto {
  mac: string;
  ip: string | null;
  /** 16 hex digits once the installer reported, else the 8-digit TFTP prefix, else null. */
  serial: string | null;
  phase: NetbootPhase;
  firstSeenAt: string;
  lastSeenAt: string;
  filesServed: number;
  bytesServed: number;
  lastFile: string | null;
  /** The deployment started by this unit's installer, once it asked for its config. */
  deploymentId: string | null;
  hostname: string | null;
}

export type NetbootEventKind =
  | 'dhcp-discover'
  | 'dhcp-offer'
  | 'dhcp-ack'
  | 'lease-add'
  | 'lease-old'
  | 'lease-del'
  | 'tftp-sent'
  | 'tftp-not-found'
  | 'tftp-probe'
  | 'tftp-error';

/** One DHCP or TFTP event (GET /api/netboot/events, newest first). */
export interface NetbootEventDto {
  id: number;
  at: string;
  kind: NetbootEventKind;
  mac: string | null;
  ip: string | null;
  /** TFTP path relative to the root. */
  file: string | null;
  bytes: number | null;
  message: string;
}

/**
 * Boot confirmation: after `success` the unit reboots into the product, and a one-shot unit the
 * installer left on the card sends `POST /api/status` `{ deploymentId, status: "booted", ... }`
 * with the deployment's status token, once the product's network is up. The deployment keeps
 * its status (`success`); what the unit said is kept beside it.
 */
export const BOOTED_STATUS = 'booted' as const;
export type BootedStatus = typeof BOOTED_STATUS;

/**
 * Where a successful deployment stands with its first boot: `waiting` (installed, waiting for
 * first boot), `booted` (confirmed), `unconfirmed` (no confirmation within
 * BOOT_CONFIRM_TIMEOUT_SECONDS of the success; a late confirmation still turns it `booted`).
 */
export const BOOT_STATES = ['waiting', 'booted', 'unconfirmed'] as const;
export type BootState = (typeof BOOT_STATES)[number];

/** Longest value of each field a boot confirmation may carry (longer ones are refused with 400). */
export const BOOT_FIELD_LIMITS = {
  hostname: 253,
  machineId: 64,
  imageVersion: 200,
  kernel: 200,
  address: 45,
} as const;

/** What the unit says about itself in its boot confirmation; every field may be left out. */
export interface BootedUnitFacts {
  hostname?: string;
  /** `/etc/machine-id`. */
  machineId?: string;
  /** What the image carries (its version file, or PRETTY_NAME of /etc/os-release). */
  imageVersion?: string;
  /** `uname -r`. */
  kernel?: string;
  /** The unit's address in the product network, IPv4 or IPv6. */
  address?: string;
}

/** `POST /api/status` on the deployment listener from the product's first boot. */
export interface BootedReport extends BootedUnitFacts {
  deploymentId: string;
  status: BootedStatus;
  /** At most STATUS_TEXT_LIMITS.message characters. */
  message?: string;
}

/** A successful deployment's first boot, as the deployment view carries it (`boot`). */
export interface BootConfirmation {
  state: BootState;
  /** When the confirmation came; null until then. */
  bootedAt: string | null;
  /** Seconds from the success report to the confirmation. */
  secondsToBoot: number | null;
  hostname: string | null;
  machineId: string | null;
  imageVersion: string | null;
  kernel: string | null;
  address: string | null;
  /** Set when the unit calls itself by another hostname than the one it was assigned. */
  hostnameMismatch: string | null;
}

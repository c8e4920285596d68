import type { ProductCode } from './products';

/** Venue codes: exactly 4 letters or digits, stored upper-case (e.g. CORO). */
export const VENUE_CODE_PATTERN = /^[A-Za-z0-9]{4}$/;
export const KART_NUMBER_MIN = 1;
export const KART_NUMBER_MAX = 999;
/** Board serials as the installer reports them: 8-16 hex digits. */
export const SERIAL_PATTERN = /^[0-9a-fA-F]{8,16}$/;
export const MAC_PATTERN = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

export const HOSTNAME_STATUSES = ['available', 'assigned', 'retired'] as const;
export type HostnameStatus = (typeof HOSTNAME_STATUSES)[number];

/** Kart numbers are stored zero-padded to three digits: 7 -> "007". */
export function formatKartNumber(kart: number): string {
  return String(kart).padStart(3, '0');
}

/** RXP2 units are named after the last 8 hex digits of their serial, upper-case. */
export function serialIdentifier(serial: string): string {
  return serial.slice(-8).toUpperCase();
}

/** `KXP2-CORO-001`, `RXP2-CORO-ABC12345`. */
export function formatHostname(product: ProductCode, venueCode: string, identifier: string): string {
  return `${product}-${venueCode.toUpperCase()}-${identifier}`;
}

export interface VenueDto {
  code: string;
  name: string;
  location: string | null;
  contactEmail: string | null;
  createdAt: string;
  /** Kart-number pool (KXP2) by status. */
  pool: Record<HostnameStatus, number>;
}

export interface CreateVenueRequest {
  code: string;
  name: string;
  location?: string;
  contactEmail?: string;
}

export type UpdateVenueRequest = Partial<Omit<CreateVenueRequest, 'code'>>;

/** Either a list of numbers or an inclusive range. */
export type KartImportRequest = { numbers: Array<string | number> } | { from: number; to: number };

export interface KartImportResult {
  added: number;
  skipped: number;
}

export interface HostnameDto {
  hostname: string;
  product: ProductCode;
  venue: string;
  identifier: string;
  status: HostnameStatus;
  deviceSerial: string | null;
  deviceMac: string | null;
  assignedAt: string | null;
}

/** The filter of `GET /api/hostnames`: every field is optional, the hostnames match all that are given. */
export interface HostnameQuery {
  /** Venue code, any case. */
  venue?: string;
  product?: ProductCode;
  status?: HostnameStatus;
}

export interface AssignHostnameRequest {
  serial: string;
  mac: string;
  product?: ProductCode;
  venue?: string;
}

export interface AssignHostnameResult extends HostnameDto {
  /** True when the device already held this hostname (a reboot mid-install). */
  reused: boolean;
  /** The batch this assignment counted towards, if any. */
  batchId: number | null;
}

/**
 * The audit log: who changed what on the management side, from where, with the state before
 * and after. Action names are `<area>.<verb>`; the dashboard and the CLI filter on them.
 */
export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.password_change',
  'user.create',
  'user.update',
  'user.password_set',
  'venue.create',
  'venue.update',
  'venue.delete',
  'venue.karts_import',
  'batch.create',
  'batch.start',
  'batch.pause',
  'batch.cancel',
  'deployment.command',
  'hostname.assign',
  'hostname.release',
  'hostname.retire',
  'image.upload',
  'image.activate',
  'image.rollback',
  'image.delete',
  'image.convert',
  'image.canary_start',
  'image.canary_promote',
  'image.canary_abandon',
  'image.notes',
  'image.generalise',
  'netboot.dnsmasq_apply',
  'netboot.tftp_sync',
  'netboot.unit_set',
  'netboot.unit_delete',
  'netboot.unit_capture',
  'netboot.unit_capture_clear',
  'proxmox.snapshot_create',
  'proxmox.snapshot_rollback',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** What kind of thing an entry's target is; the target id is read in that kind's terms. */
export const AUDIT_TARGET_TYPES = [
  'user',
  'venue',
  'batch',
  'hostname',
  'deployment',
  'image',
  'product',
  'netboot',
  'netboot_unit',
  'snapshot',
] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

/** Stands in for passwords, tokens and secrets wherever they would appear in an entry. */
export const AUDIT_REDACTED = '[redacted]';

export interface AuditEntryDto {
  id: number;
  /** ISO 8601. */
  at: string;
  /** The user name (for a failed login: the name that was tried); null when no one was logged in. */
  actor: string | null;
  /** The client address as the server saw it (X-Forwarded-For from a local proxy). */
  ip: string | null;
  action: AuditAction;
  targetType: AuditTargetType | null;
  targetId: string | null;
  /** The target's state before the change (null: it did not exist, or the action has no state). */
  before: unknown;
  /** The target's state after the change, or what the action returned (null: it no longer exists). */
  after: unknown;
}

export interface AuditQuery {
  /** Exact user name. */
  actor?: string;
  action?: AuditAction;
  targetType?: AuditTargetType;
  /** Part of the target id, any case. */
  target?: string;
  /** At or after (ISO 8601). */
  from?: string;
  /** Before (ISO 8601). */
  to?: string;
  page?: number;
  pageSize?: number;
}

export interface AuditPage {
  items: AuditEntryDto[];
  total: number;
  page: number;
  pageSize: number;
}

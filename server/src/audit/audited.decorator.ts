import { SetMetadata, type Type } from '@nestjs/common';
import type { Request } from 'express';
import type { AuditAction, AuditTargetType } from '@rpi-deploy/contracts';

export const AUDITED = 'rpi-deploy:audited';

/** Reads a target's current state through its own module's service (null: it does not exist). */
export type StateReader = (resolve: <T>(type: Type<T>) => T, id: string) => Promise<unknown>;

export interface AuditSpec {
  targetType: AuditTargetType;
  /** The target's id from the request, or (for a create) from what the route returned. */
  targetId: (request: Request, result: unknown) => string | undefined;
  /**
   * Reads the target's state before the handler runs and again after it succeeded. Without
   * it, `before` stays empty and `after` is what the route returned (or, with afterFromBody,
   * what was sent).
   */
  state?: StateReader;
  afterFromBody?: boolean;
}

export interface AuditedRoute extends AuditSpec {
  action: AuditAction;
}

/**
 * Records the route in the audit log once it has succeeded (see AuditInterceptor); a route
 * that throws (refused, invalid, failed) writes nothing.
 */
export const Audited = (action: AuditAction, spec: AuditSpec) =>
  SetMetadata(AUDITED, { action, ...spec } satisfies AuditedRoute);

/** Target id from a route parameter. */
export const fromParam =
  (name: string) =>
  (request: Request): string | undefined =>
    stringOrUndefined(request.params[name]);

/** Target id from a field of the JSON body. */
export const fromBody =
  (name: string) =>
  (request: Request): string | undefined =>
    stringOrUndefined((request.body as Record<string, unknown> | undefined)?.[name]);

/** Target id from a field of what the route returned (a create learns its id only then). */
export const fromResult =
  (name: string) =>
  (_request: Request, result: unknown): string | undefined =>
    stringOrUndefined((result as Record<string, unknown> | undefined)?.[name]);

/** The logged-in user is the target (their own session or password). */
export const fromCurrentUser = (request: Request): string | undefined => request.user?.username;

function stringOrUndefined(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

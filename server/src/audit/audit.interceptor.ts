import {
  HttpException,
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { mergeMap, type Observable } from 'rxjs';
import { AUDITED, type AuditedRoute } from './audited.decorator';
import { AuditService } from './audit.service';

/**
 * Writes one audit entry for each successful call of an @Audited route. The target's state is
 * read through its service before the handler and again after it resolved; a handler resolves
 * only once its transaction committed, so the entry describes a change that really happened,
 * and a handler that throws writes nothing. The entry is written before the answer goes out, so
 * whoever got the answer finds it in the log.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Audit');

  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
    private readonly audit: AuditService,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const route = this.reflector.get<AuditedRoute | undefined>(AUDITED, context.getHandler());
    if (!route || context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    const idBefore = route.targetId(request, undefined);
    const before = route.state && idBefore !== undefined ? await this.readState(route, idBefore) : null;
    return next.handle().pipe(
      mergeMap(async (result) => {
        const targetId = route.targetId(request, result);
        let after: unknown = route.afterFromBody ? request.body : result;
        if (route.state) after = targetId === undefined ? null : await this.readState(route, targetId);
        await this.audit.record({
          action: route.action,
          actor: request.user ? { id: request.user.id, username: request.user.username } : null,
          ip: request.ip ?? null,
          targetType: route.targetType,
          targetId,
          before,
          after,
        });
        return result;
      }),
    );
  }

  /** The target's state, or null when it does not exist (or the id is one the route will refuse). */
  private async readState(route: AuditedRoute, id: string): Promise<unknown> {
    const resolve = <T>(type: Type<T>): T => this.moduleRef.get(type, { strict: false });
    try {
      return await route.state!(resolve, id);
    } catch (error) {
      if (!(error instanceof HttpException))
        this.logger.warn(`Could not read ${route.targetType} ${id}: ${String(error)}`);
      return null;
    }
  }
}

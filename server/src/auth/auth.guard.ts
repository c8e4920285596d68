import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DEPLOYMENT_ROUTE } from '../listeners/deployment-route.decorator';
import { AuthService } from './auth.service';
import { IS_PUBLIC } from './public.decorator';

/** Every management route needs `Authorization: Bearer <token>` unless marked @Public. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    // Installer routes live on the isolated deployment VLAN and carry no user login.
    if (this.reflector.getAllAndOverride<boolean>(DEPLOYMENT_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<Request>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthorizedException('Log in first: send Authorization: Bearer <accessToken>');
    request.user = await this.auth.authenticate(token);
    return true;
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { roleSatisfies, type Role } from '@rpi-deploy/contracts';
import { REQUIRED_ROLE } from './require-role.decorator';

/** Enforces @RequireRole after AuthGuard has identified the user. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const required = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required) return true;
    const user = context.switchToHttp().getRequest<Request>().user;
    if (!user || !roleSatisfies(user.role, required)) {
      throw new ForbiddenException(`This needs the ${required} role; you are ${user ? user.role : 'not logged in'}`);
    }
    return true;
  }
}

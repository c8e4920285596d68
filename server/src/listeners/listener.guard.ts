import { CanActivate, ExecutionContext, Injectable, NotFoundException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DEPLOYMENT_ROUTE } from './deployment-route.decorator';
import { listenerOf } from './request-listener';

/**
 * Keeps the two listeners apart: a route answers only on the listener it belongs to and is
 * indistinguishable from an unknown route (404) on the other. Runs before authentication, so
 * the deployment VLAN cannot even learn that a management route exists.
 */
@Injectable()
export class ListenerGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<Request>();
    const routeIsDeployment =
      this.reflector.getAllAndOverride<boolean>(DEPLOYMENT_ROUTE, [context.getHandler(), context.getClass()]) ?? false;
    const arrivedOnDeployment = listenerOf(request) === 'deployment';
    if (routeIsDeployment !== arrivedOnDeployment) {
      throw new NotFoundException(`Cannot ${request.method} ${request.path}`);
    }
    return true;
  }
}

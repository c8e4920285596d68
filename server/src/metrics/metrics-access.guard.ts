import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthService } from '../auth/auth.service';
import { bearerToken } from '../auth/auth.guard';
import { AppConfig } from '../config/app-config';

/**
 * `/metrics` is for Prometheus and admins: `Authorization: Bearer <METRICS_TOKEN>` when that
 * setting is given, or an admin's access token. Nothing (401), anything else (401) and another
 * role's login (403) are refused.
 */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  private readonly metricsTokenDigest?: Buffer;

  constructor(
    config: AppConfig,
    private readonly auth: AuthService,
  ) {
    if (config.metricsToken) this.metricsTokenDigest = digest(config.metricsToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const token = bearerToken(context.switchToHttp().getRequest<Request>().headers.authorization);
    if (!token) {
      throw new UnauthorizedException(
        'Send Authorization: Bearer <METRICS_TOKEN> (the scrape configuration) or an admin access token',
      );
    }
    // Digests are compared so the comparison takes as long whatever the token's length.
    if (this.metricsTokenDigest && timingSafeEqual(digest(token), this.metricsTokenDigest)) return true;
    const user = await this.auth.authenticate(token).catch(() => {
      throw new UnauthorizedException(
        'That is neither METRICS_TOKEN nor a valid access token: check the bearer token of the scrape configuration, or log in again',
      );
    });
    if (user.role !== 'admin') {
      throw new ForbiddenException(`Metrics need the admin role or METRICS_TOKEN; you are ${user.role}`);
    }
    return true;
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

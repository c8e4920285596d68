import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Role } from '@rpi-deploy/contracts';

/** Who made the request; set by AuthGuard on every authenticated management request. */
export interface AuthenticatedUser {
  id: number;
  username: string;
  role: Role;
}

declare module 'express' {
  interface Request {
    user?: AuthenticatedUser;
  }
}

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedUser | undefined =>
    context.switchToHttp().getRequest().user,
);

import { Controller, ForbiddenException, Get, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '@rpi-deploy/contracts';
import { RequireRole } from './require-role.decorator';
import { RolesGuard } from './roles.guard';

@RequireRole('operator')
@Controller('things')
class ThingsController {
  @Get() list() {}
  @RequireRole('admin') @Get('secret') secret() {}
  @RequireRole('viewer') @Get('public-ish') relaxed() {}
}

@Controller('open')
class OpenController {
  @Get() list() {}
}

function contextFor(controller: object, handler: string, role?: Role): ExecutionContext {
  const request = { user: role ? { id: 1, username: 'u', role } : undefined };
  return {
    getType: () => 'http',
    getClass: () => controller,
    getHandler: () => (controller as { prototype: Record<string, unknown> }).prototype[handler],
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

describe('RolesGuard', () => {
  const guard = new RolesGuard(new Reflector());

  it.each([
    ['list', 'viewer', false],
    ['list', 'operator', true],
    ['list', 'admin', true],
    ['secret', 'operator', false],
    ['secret', 'admin', true],
    ['relaxed', 'viewer', true],
  ] as const)('%s as %s -> allowed: %s (handler role overrides the class role)', (handler, role, allowed) => {
    const context = contextFor(ThingsController, handler, role);
    if (allowed) expect(guard.canActivate(context)).toBe(true);
    else expect(() => guard.canActivate(context)).toThrow(ForbiddenException);
  });

  it('explains which role is missing', () => {
    expect(() => guard.canActivate(contextFor(ThingsController, 'secret', 'viewer'))).toThrow(
      'This needs the admin role; you are viewer',
    );
  });

  it('lets any logged-in user through a route without a role requirement', () => {
    expect(guard.canActivate(contextFor(OpenController, 'list', 'viewer'))).toBe(true);
  });

  it('refuses a protected route when nobody is logged in', () => {
    expect(() => guard.canActivate(contextFor(ThingsController, 'relaxed'))).toThrow(ForbiddenException);
  });
});

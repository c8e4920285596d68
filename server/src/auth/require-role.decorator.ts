import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import type { Role } from '@rpi-deploy/contracts';

export const REQUIRED_ROLE = 'rpi-deploy:required-role';

/** The least role a route needs (admin > operator > viewer). Without it, any logged-in user. */
export const RequireRole = (role: Role) =>
  applyDecorators(
    SetMetadata(REQUIRED_ROLE, role),
    ApiForbiddenResponse({ description: `Needs the ${role} role or higher` }),
  );

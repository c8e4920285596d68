import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn } from 'class-validator';
import { ROLES, type Role, type SetPasswordRequest, type UpdateUserRequest } from '@rpi-deploy/contracts';
import { IsNewPassword } from './password.validators';
import { IsOmittable } from '../../validation/is-omittable';

export class UpdateUserBody implements UpdateUserRequest {
  @ApiPropertyOptional({ enum: ROLES })
  @IsOmittable()
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role?: Role;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsBoolean()
  disabled?: boolean;
}

export class SetPasswordBody implements SetPasswordRequest {
  @IsNewPassword() password!: string;
}

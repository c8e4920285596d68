import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { ROLES, type Role, type SetPasswordRequest, type UpdateUserRequest } from '@rpi-deploy/contracts';
import { IsNewPassword } from './password.validators';

export class UpdateUserBody implements UpdateUserRequest {
  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role?: Role;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}

export class SetPasswordBody implements SetPasswordRequest {
  @IsNewPassword() password!: string;
}

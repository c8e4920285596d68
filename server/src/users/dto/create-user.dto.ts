import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { ROLES, type CreateUserRequest, type Role } from '@rpi-deploy/contracts';
import { IsNewPassword, IsUsername } from './password.validators';

export class CreateUserBody implements CreateUserRequest {
  @IsUsername() username!: string;
  @IsNewPassword() password!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role!: Role;
}

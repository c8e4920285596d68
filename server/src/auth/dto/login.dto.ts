import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import {
  ROLES,
  type ChangeOwnPasswordRequest,
  type LoginRequest,
  type LoginResponse,
  type Role,
} from '@rpi-deploy/contracts';
import { IsNewPassword } from '../../users/dto/password.validators';

export class LoginBody implements LoginRequest {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  username!: string;

  @ApiProperty({ format: 'password' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password!: string;
}

class LoginUser {
  @ApiProperty() username!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
}

export class LoginResult implements LoginResponse {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ description: 'Seconds until the token expires' }) expiresIn!: number;
  @ApiProperty({ type: LoginUser }) user!: LoginUser;
}

export class ChangeOwnPasswordBody implements ChangeOwnPasswordRequest {
  @ApiProperty({ format: 'password' })
  @IsString()
  @MinLength(1)
  currentPassword!: string;

  @IsNewPassword() newPassword!: string;
}

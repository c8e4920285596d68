import { ApiProperty } from '@nestjs/swagger';
import { ROLES, type Role, type UserDto } from '@rpi-deploy/contracts';

export class UserResponse implements UserDto {
  @ApiProperty({ example: 'alice' }) username!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty() disabled!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastLoginAt!: string | null;
}

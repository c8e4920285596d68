import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, USERNAME_PATTERN } from '@rpi-deploy/contracts';

export const IsNewPassword = () =>
  applyDecorators(
    ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, format: 'password' }),
    IsString(),
    MinLength(PASSWORD_MIN_LENGTH, { message: `password must be at least ${PASSWORD_MIN_LENGTH} characters long` }),
    MaxLength(PASSWORD_MAX_LENGTH),
  );

export const IsUsername = () =>
  applyDecorators(
    ApiProperty({ pattern: USERNAME_PATTERN.source, example: 'alice' }),
    IsString(),
    Matches(USERNAME_PATTERN, {
      message: 'username must be 2-32 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit',
    }),
  );

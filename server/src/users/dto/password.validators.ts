import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, ValidateBy, type ValidationArguments } from 'class-validator';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, PASSWORD_RULE, USERNAME_PATTERN } from '@rpi-deploy/contracts';
import { passwordWeakness } from '../../validation/password-strength';

/** A password someone chooses now (PASSWORD_RULE); existing ones are not re-rated at login. */
export const IsNewPassword = () =>
  applyDecorators(
    ApiProperty({
      minLength: PASSWORD_MIN_LENGTH,
      maxLength: PASSWORD_MAX_LENGTH,
      format: 'password',
      description: PASSWORD_RULE,
    }),
    IsString(),
    MaxLength(PASSWORD_MAX_LENGTH),
    ValidateBy({
      name: 'isStrongEnoughPassword',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && passwordWeakness(value) === undefined,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} ${passwordWeakness(String(args?.value)) ?? 'is too weak'}`,
      },
    }),
  );

export const IsUsername = () =>
  applyDecorators(
    ApiProperty({ pattern: USERNAME_PATTERN.source, example: 'alice' }),
    IsString(),
    Matches(USERNAME_PATTERN, {
      message: 'username must be 2-32 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit',
    }),
  );

import { applyDecorators } from '@nestjs/common';
import { IsDefined, ValidateIf } from 'class-validator';

/**
 * The field may be left out, but when it is sent it must pass the validators below it; `null`
 * is refused. class-validator's IsOptional skips every check for `null` too, so a `null` reached
 * the services as if it were a value (a `{"role": null}` then failed in the database with 500).
 * ESLint forbids IsOptional for that reason.
 */
export const IsOmittable = () =>
  applyDecorators(
    ValidateIf((_object: object, value: unknown) => value !== undefined),
    IsDefined({ message: ({ property }) => `${property} may be left out, but must not be null` }),
  );

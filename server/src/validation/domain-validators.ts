import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsIn, IsString, Matches, type ValidationOptions } from 'class-validator';
import { MAC_PATTERN, PRODUCT_CODES, SERIAL_PATTERN, VENUE_CODE_PATTERN } from '@rpi-deploy/contracts';

const upperCase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value);

/** KXP2 or RXP2, in any case. */
export const IsProductCode = () =>
  applyDecorators(
    Transform(upperCase),
    IsIn(PRODUCT_CODES, { message: ({ property }) => `${property} must be one of ${PRODUCT_CODES.join(', ')}` }),
  );

/** Exactly 4 letters or digits. */
export const IsVenueCode = () =>
  applyDecorators(
    IsString(),
    Matches(VENUE_CODE_PATTERN, { message: ({ property }) => `${property} must be exactly 4 letters or digits` }),
  );

export const IsSerial = (options: ValidationOptions = {}) =>
  applyDecorators(
    IsString(options),
    Matches(SERIAL_PATTERN, { ...options, message: ({ property }) => `${property} must be 8-16 hex digits` }),
  );

export const IsMacAddress = () =>
  applyDecorators(
    IsString(),
    Matches(MAC_PATTERN, { message: ({ property }) => `${property} must look like aa:bb:cc:dd:ee:ff` }),
  );

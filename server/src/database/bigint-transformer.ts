import type { ValueTransformer } from 'typeorm';

/**
 * Byte counts of multi-GB images overflow 32-bit integers, so they live in `bigint` columns;
 * PostgreSQL hands those back as strings. Sizes stay far below 2^53, so numbers are exact.
 */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

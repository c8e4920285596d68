import { BadRequestException, Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';

/** Largest id a row can have: PostgreSQL's `integer`, which SQLite's rowids never exceed here. */
export const MAX_ROW_ID = 2_147_483_647;

/**
 * A numeric row id from the path. Nest's ParseIntPipe lets through ids beyond `integer`
 * (PostgreSQL then fails the query with 500) and negative ones; this one answers 400 with the
 * range instead. The global ValidationPipe may already have turned the text into a number.
 */
@Injectable()
export class ParseRowIdPipe implements PipeTransform<string | number, number> {
  transform(value: string | number, metadata: ArgumentMetadata): number {
    const id = typeof value === 'number' ? value : /^[0-9]+$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(id) || id < 1 || id > MAX_ROW_ID) {
      throw new BadRequestException(`${metadata.data ?? 'id'} must be a whole number from 1 to ${MAX_ROW_ID}`);
    }
    return id;
  }
}

import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { IsOmittable } from './is-omittable';

/** Far beyond any real list (500 a page), small enough that the row offset stays an integer. */
const PAGE_MAX = 1_000_000;

/** `page` and `pageSize` of a paged list's query string, checked; the list's own query extends it. */
export class PageQueryParams {
  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: PAGE_MAX })
  @IsOmittable()
  @Type(() => Number)
  @IsInt({ message: `page must be a whole number from 1 to ${PAGE_MAX}` })
  @Min(1, { message: `page must be a whole number from 1 to ${PAGE_MAX}` })
  @Max(PAGE_MAX, { message: `page must be a whole number from 1 to ${PAGE_MAX}` })
  page?: number;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOmittable()
  @Type(() => Number)
  @IsInt({ message: 'pageSize must be a whole number from 1 to 500' })
  @Min(1, { message: 'pageSize must be a whole number from 1 to 500' })
  @Max(500, { message: 'pageSize must be a whole number from 1 to 500' })
  pageSize?: number;
}

import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { AuditPage } from '@rpi-deploy/contracts';
import { RequireRole } from '../auth/require-role.decorator';
import { auditCsv } from './audit-csv';
import { AuditQueryParams } from './audit-query.dto';
import { AuditService } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('api')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('audit')
  @ApiOkResponse({ description: 'Newest first, filtered and paged' })
  list(@Query() query: AuditQueryParams): Promise<AuditPage> {
    return this.audit.list(query);
  }

  @Get('audit.csv')
  @ApiProduces('text/csv')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @Header('Content-Disposition', 'attachment; filename="audit.csv"')
  @ApiOkResponse({ description: 'The filtered log as CSV (same filters as the list, no paging)' })
  async exportCsv(@Query() query: AuditQueryParams): Promise<string> {
    return auditCsv(await this.audit.exportRows(query));
  }
}

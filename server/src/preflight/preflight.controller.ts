import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { PreflightReportDto } from '@rpi-deploy/contracts';
import { PreflightService } from './preflight.service';

/**
 * The pre-flight checklist on the management listener. It keeps its address under
 * /api/netboot, where the dashboard's Netboot page and `rpi-deploy validate` ask for it.
 */
@ApiTags('netboot')
@ApiBearerAuth()
@Controller('api/netboot')
export class PreflightController {
  constructor(private readonly preflight: PreflightService) {}

  @Get('preflight')
  @ApiOkResponse({ description: 'The pre-flight checklist (also `rpi-deploy validate`)' })
  preflightReport(): Promise<PreflightReportDto> {
    return this.preflight.run();
  }
}

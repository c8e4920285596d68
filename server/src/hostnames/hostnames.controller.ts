import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AssignHostnameResult, HostnameDto } from '@rpi-deploy/contracts';
import { Audited, fromParam, fromResult, type StateReader } from '../audit/audited.decorator';
import { RequireRole } from '../auth/require-role.decorator';
import { AssignHostnameBody, AssignHostnameResponse, HostnameQueryParams, HostnameResponse } from './dto/hostname.dto';
import { HostnamesService } from './hostnames.service';

const hostnameState: StateReader = (resolve, hostname) => resolve(HostnamesService).find(hostname);

@ApiTags('hostnames')
@ApiBearerAuth()
@Controller('api/hostnames')
export class HostnamesController {
  constructor(private readonly hostnames: HostnamesService) {}

  @Get()
  @ApiOkResponse({ type: [HostnameResponse] })
  list(@Query() query: HostnameQueryParams): Promise<HostnameDto[]> {
    return this.hostnames.list(query);
  }

  /** Hands a device its hostname by hand, by the same rules as a netbooting Pi. */
  @Post('assign')
  @RequireRole('operator')
  @Audited('hostname.assign', { targetType: 'hostname', targetId: fromResult('hostname'), state: hostnameState })
  @HttpCode(200)
  @ApiOkResponse({ type: AssignHostnameResponse })
  @ApiConflictResponse({ description: 'No free kart number, no active batch, or the name is held by another device' })
  assign(@Body() body: AssignHostnameBody): Promise<AssignHostnameResult> {
    return this.hostnames.assign(body);
  }

  @Post(':hostname/release')
  @RequireRole('operator')
  @Audited('hostname.release', { targetType: 'hostname', targetId: fromParam('hostname'), state: hostnameState })
  @HttpCode(200)
  @ApiOkResponse({ type: HostnameResponse, description: 'Back to available, device cleared' })
  release(@Param('hostname') hostname: string): Promise<HostnameDto> {
    return this.hostnames.release(hostname);
  }

  @Post(':hostname/retire')
  @RequireRole('operator')
  @Audited('hostname.retire', { targetType: 'hostname', targetId: fromParam('hostname'), state: hostnameState })
  @HttpCode(200)
  @ApiOkResponse({ type: HostnameResponse })
  retire(@Param('hostname') hostname: string): Promise<HostnameDto> {
    return this.hostnames.retire(hostname);
  }
}

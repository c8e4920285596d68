import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  Header,
  Headers,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Put,
  Query,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { DataSource, type Repository } from 'typeorm';
import type { CaptureMarkDto, NetbootDeviceDto, NetbootEventDto, NetbootStatusDto } from '@rpi-deploy/contracts';
import { CurrentUser, type AuthenticatedUser } from '../auth/authenticated-user';
import { CaptureMarkBody } from '../images/capture/capture.dto';
import { CaptureMarks } from '../images/capture/capture-marks';
import { Public } from '../auth/public.decorator';
import { Audited, type StateReader } from '../audit/audited.decorator';
import { RequireRole } from '../auth/require-role.decorator';
import { HookSecret } from './boot-events/hook-secret';
import { NetbootDevices } from './boot-events/netboot-devices';
import { toHookEvent } from './boot-events/to-hook-event';
import { DnsmasqConfigService } from './dnsmasq/dnsmasq-config.service';
import { NetbootHookBody } from './dto/netboot-hook.dto';
import { NetbootUnitBody } from './dto/netboot-unit.dto';
import { NetbootUnit } from './tftp/netboot-unit.entity';
import { TftpRootService } from './tftp/tftp-root.service';

const SERIAL8 = /^[0-9a-f]{8}$/;

/** The unit's 8-digit prefix for the audit; a serial the route will refuse is kept as sent. */
function unitSerial(request: Request): string {
  const serial = String(request.params['serial']);
  return /^[0-9a-f]{8,16}$/i.test(serial) ? serial.toLowerCase().slice(-8) : serial;
}

const unitState: StateReader = (resolve, serial) =>
  resolve(DataSource).getRepository(NetbootUnit).findOneBy({ serial });

/** Netboot on the management listener: dnsmasq, the TFTP root, units seen booting. */
@ApiTags('netboot')
@ApiBearerAuth()
@Controller('api/netboot')
export class NetbootController {
  constructor(
    private readonly dnsmasq: DnsmasqConfigService,
    private readonly tftp: TftpRootService,
    private readonly devices: NetbootDevices,
    private readonly hookSecret: HookSecret,
    @InjectRepository(NetbootUnit) private readonly units: Repository<NetbootUnit>,
    private readonly captures: CaptureMarks,
  ) {}

  @Get('status')
  @ApiOkResponse({ description: 'dnsmasq process and TFTP root' })
  async status(): Promise<NetbootStatusDto> {
    return { dnsmasq: await this.dnsmasq.status(), tftp: await this.tftp.status() };
  }

  @Get('dnsmasq-config')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The dnsmasq configuration rendered from the current settings' })
  dnsmasqConfig(): string {
    return this.dnsmasq.render();
  }

  @Post('dnsmasq-config/apply')
  @RequireRole('admin')
  @Audited('netboot.dnsmasq_apply', { targetType: 'netboot', targetId: () => 'dnsmasq-config' })
  @HttpCode(200)
  @ApiOkResponse({ description: 'Checked with dnsmasq --test and written to DNSMASQ_CONFIG' })
  applyDnsmasqConfig(): Promise<{ path: string; check: { ok: boolean; output: string } }> {
    return this.dnsmasq.write();
  }

  @Post('sync-tftp')
  @RequireRole('operator')
  @Audited('netboot.tftp_sync', { targetType: 'netboot', targetId: () => 'tftp-root' })
  @HttpCode(200)
  @ApiOkResponse({ description: 'A new TFTP root release, switched to atomically' })
  @ApiConflictResponse({ description: 'No active image, boot files missing from it, or the initramfs not built' })
  async syncTftp(): Promise<NetbootStatusDto['tftp']> {
    await this.tftp.sync();
    return this.tftp.status();
  }

  @Get('devices')
  @ApiOkResponse({ description: 'Units seen on the deployment network, most recent first' })
  listDevices(): NetbootDeviceDto[] {
    return this.devices.list();
  }

  @Get('events')
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 200' })
  @ApiQuery({ name: 'mac', required: false })
  @ApiOkResponse({ description: 'Recent DHCP and TFTP events, newest first' })
  listEvents(@Query('limit') limit?: string, @Query('mac') mac?: string): NetbootEventDto[] {
    const count = limit === undefined ? 200 : Number(limit);
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw new BadRequestException('limit must be 1-1000');
    if (mac !== undefined && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac))
      throw new BadRequestException('mac must be like d8:3a:dd:12:34:56');
    return this.devices.recentEvents(count, mac);
  }

  @Get('units')
  @ApiOkResponse({ description: 'Units with their own TFTP folder (different product or venue)' })
  listUnits(): Promise<NetbootUnit[]> {
    return this.units.find({ order: { serial: 'ASC' } });
  }

  @Put('units/:serial')
  @RequireRole('operator')
  @Audited('netboot.unit_set', { targetType: 'netboot_unit', targetId: unitSerial, state: unitState })
  @ApiOkResponse({ description: 'Saved; the TFTP root is rebuilt when it exists' })
  async putUnit(@Param('serial') serialParam: string, @Body() body: NetbootUnitBody): Promise<NetbootUnit> {
    const serial = serial8(serialParam);
    if (!body.product && !body.venue) throw new BadRequestException('Give a product, a venue, or both');
    return this.changeUnit(serial, () =>
      this.units.save(
        this.units.create({ serial, product: body.product ?? null, venue: body.venue?.toUpperCase() ?? null }),
      ),
    );
  }

  @Delete('units/:serial')
  @RequireRole('operator')
  @Audited('netboot.unit_delete', { targetType: 'netboot_unit', targetId: unitSerial, state: unitState })
  @HttpCode(204)
  async deleteUnit(@Param('serial') serialParam: string): Promise<void> {
    const serial = serial8(serialParam);
    await this.changeUnit(serial, async () => {
      const result = await this.units.delete({ serial });
      if (!result.affected) throw new NotFoundException(`No netboot settings for unit ${serialParam}`);
    });
  }

  @Get('captures')
  @ApiOkResponse({ description: 'Units whose next netboot captures their card as a new image version' })
  listCaptures(): Promise<CaptureMarkDto[]> {
    return this.captures.list();
  }

  @Put('units/:serial/capture')
  @RequireRole('operator')
  @Audited('netboot.unit_capture', { targetType: 'netboot_unit', targetId: unitSerial })
  @ApiOkResponse({
    description: "Marked: the unit's next netboot captures its card; the TFTP root is rebuilt when it exists",
  })
  @ApiConflictResponse({ description: 'The product has that version already' })
  async markCapture(
    @Param('serial') serialParam: string,
    @Body() body: CaptureMarkBody,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<CaptureMarkDto> {
    const serial = serial8(serialParam);
    const before = await this.captures.find(serial);
    return this.followedByTftp(
      () => this.captures.mark(serial, body.product, body.version, user.username),
      () => this.captures.restore(before, serial),
    );
  }

  @Delete('units/:serial/capture')
  @RequireRole('operator')
  @Audited('netboot.unit_capture_clear', { targetType: 'netboot_unit', targetId: unitSerial })
  @HttpCode(204)
  async clearCapture(@Param('serial') serialParam: string): Promise<void> {
    const serial = serial8(serialParam);
    const before = await this.captures.find(serial);
    await this.followedByTftp(
      () => this.captures.clear(serial),
      () => this.captures.restore(before, serial),
    );
  }

  /** dnsmasq's dhcp-script (infra/dnsmasq/rpi-deploy-dhcp-hook.sh), authenticated by the local secret. */
  @Post('hook')
  @Public()
  @HttpCode(204)
  hook(@Headers('x-netboot-secret') secret: string | undefined, @Body() body: NetbootHookBody): void {
    if (!this.hookSecret.matches(secret)) throw new UnauthorizedException('Wrong or missing X-Netboot-Secret');
    this.devices.recordHookEvent(toHookEvent(body));
  }

  /**
   * Changes one unit's settings and rebuilds the TFTP root when it is set up. When the root
   * cannot follow (say the unit's product has no active image), the change is undone: a refused
   * request changes nothing.
   */
  private async changeUnit<T>(serial: string, change: () => Promise<T>): Promise<T> {
    const before = await this.units.findOneBy({ serial });
    return this.followedByTftp(change, async () => {
      if (before) await this.units.save(before);
      else await this.units.delete({ serial });
    });
  }

  private async followedByTftp<T>(change: () => Promise<T>, undo: () => Promise<void>): Promise<T> {
    const result = await change();
    try {
      if (await this.tftp.currentManifest()) await this.tftp.sync();
    } catch (error) {
      await undo();
      throw error;
    }
    // The other hosts' roots follow (this one's already did).
    this.tftp.announceChange();
    return result;
  }
}

/** The TFTP prefix of a serial: its low 32 bits as 8 lower-case hex digits (16-digit serials too). */
function serial8(serial: string): string {
  const prefix = serial.toLowerCase().slice(-8);
  if (!/^[0-9a-f]{8,16}$/i.test(serial) || !SERIAL8.test(prefix)) {
    throw new BadRequestException(`serial must be 8-16 hex digits, got "${serial}"`);
  }
  return prefix;
}

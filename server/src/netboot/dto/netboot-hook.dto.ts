import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength } from 'class-validator';
import { IsOmittable } from '../../validation/is-omittable';

/**
 * What infra/dnsmasq/rpi-deploy-dhcp-hook.sh posts (form-encoded): dnsmasq's own arguments
 * as it passed them, interpreted by `toHookEvent` according to the action.
 */
export class NetbootHookBody {
  @ApiProperty({ enum: ['add', 'old', 'del', 'tftp'] })
  @IsIn(['add', 'old', 'del', 'tftp'])
  action!: 'add' | 'old' | 'del' | 'tftp';

  @ApiProperty({ description: 'MAC address (lease actions) or size in bytes (tftp)' })
  @IsString()
  @MaxLength(64)
  arg2!: string;

  @ApiProperty({ description: 'IP address (lease actions) or client address (tftp)' })
  @IsString()
  @MaxLength(64)
  arg3!: string;

  @ApiPropertyOptional({ description: 'hostname (lease actions) or full path of the file (tftp)' })
  @IsOmittable()
  @IsString()
  @MaxLength(4096)
  arg4?: string;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsString()
  @MaxLength(64)
  interface?: string;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsString()
  @MaxLength(255)
  vendorClass?: string;

  @ApiPropertyOptional({ description: 'dnsmasq tags, space separated' })
  @IsOmittable()
  @IsString()
  @MaxLength(1024)
  tags?: string;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsString()
  @MaxLength(32)
  expires?: string;
}

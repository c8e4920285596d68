import { BadRequestException } from '@nestjs/common';
import { isIPv4 } from 'node:net';
import type { NetbootHookBody } from '../dto/netboot-hook.dto';
import type { HookEvent } from './hook-event';

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** Reads dnsmasq's positional arguments for the action (docs/pi5-netboot.md §7.2); 400 when they do not fit. */
export function toHookEvent(body: NetbootHookBody): HookEvent {
  if (!isIPv4(body.arg3)) throw new BadRequestException(`arg3 must be the client's IPv4 address, got "${body.arg3}"`);
  if (body.action === 'tftp') {
    if (!/^\d{1,15}$/.test(body.arg2))
      throw new BadRequestException(`arg2 must be the size in bytes, got "${body.arg2}"`);
    if (!body.arg4) throw new BadRequestException('arg4 must be the path of the file sent');
    return { action: 'tftp', bytes: Number(body.arg2), ip: body.arg3, path: body.arg4 };
  }
  if (!MAC.test(body.arg2)) throw new BadRequestException(`arg2 must be a MAC address, got "${body.arg2}"`);
  return {
    action: body.action,
    mac: body.arg2.toLowerCase(),
    ip: body.arg3,
    hostname: body.arg4 || null,
    vendorClass: body.vendorClass || null,
    tags: (body.tags ?? '').split(/\s+/).filter(Boolean),
  };
}

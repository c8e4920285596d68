import { BadRequestException } from '@nestjs/common';
import { BlockList, isIP } from 'node:net';

/** Addresses no unit can serve on for its neighbours. */
const NOT_UNICAST = new BlockList();
NOT_UNICAST.addSubnet('0.0.0.0', 8, 'ipv4');
NOT_UNICAST.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
NOT_UNICAST.addSubnet('240.0.0.0', 4, 'ipv4'); // reserved and broadcast
NOT_UNICAST.addAddress('::', 'ipv6');
NOT_UNICAST.addSubnet('ff00::', 8, 'ipv6'); // multicast

/**
 * The base URL other units will fetch from, from the address a unit reported. It must be a
 * unicast IP (no name: nothing to resolve, nothing to point elsewhere) and the very IP the report
 * came from on the deployment listener: so the tracker only hands out addresses units proved
 * reachable on the deployment network, never one on the management side or a third party's.
 */
export function peerUrl(address: string, from: string | null): string {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(address);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  const family = host ? isIP(host) : 0;
  if (!host || family === 0 || port < 1 || port > 65535 || (family === 6) !== Boolean(match?.[1]))
    throw new BadRequestException(`address must be ip:port or [ipv6]:port with a port 1-65535, got "${address}"`);
  if (NOT_UNICAST.check(host, family === 4 ? 'ipv4' : 'ipv6'))
    throw new BadRequestException(`address ${host} is not a unicast IP`);
  const source = unmapped(from ?? '');
  if (unmapped(host).toLowerCase() !== source.toLowerCase()) {
    throw new BadRequestException(
      `address ${host} is not the address this report came from (${source || 'unknown'}): ` +
        'advertise the local address of the connection to the server',
    );
  }
  return `http://${family === 6 ? `[${host}]` : host}:${port}`;
}

/** `::ffff:10.0.0.5` (an IPv4 client on a dual-stack socket) is 10.0.0.5. */
function unmapped(ip: string): string {
  return ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
}

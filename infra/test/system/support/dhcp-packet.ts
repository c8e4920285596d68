/**
 * BOOTP/DHCP packets (RFC 2131/2132) as the Raspberry Pi 5 bootloader sends them, and the
 * parsing of what dnsmasq answers. Only what the netboot system test needs.
 */
const MAGIC_COOKIE = [99, 130, 83, 99];

export const DHCP = { DISCOVER: 1, OFFER: 2, REQUEST: 3, ACK: 5, NAK: 6 } as const;

/** Option 55 of the Pi 5 bootloader (docs/pi5-netboot.md §2). */
export const PI5_PARAMETER_REQUEST_LIST = [1, 3, 43, 60, 66, 67, 128, 129, 130, 131, 132, 133, 134, 135];
export const PXE_VENDOR_CLASS = 'PXEClient:Arch:00000:UNDI:002001';

export interface ClientIdentity {
  mac: string;
  /** Option 97 (client GUID, 17 bytes); an x86 PXE ROM sends its own UUID here. */
  guid: Buffer;
}

/** Option 97 of a Pi 5: type 0, FourCC "RPi5", board revision, low 4 bytes of the MAC, 4 bytes of serial. */
export function pi5Guid(mac: string, serial: string, boardRevision = 0xd04170): Buffer {
  const guid = Buffer.alloc(17);
  guid[0] = 0;
  guid.write('RPi5', 1, 'latin1');
  guid.writeUInt32BE(boardRevision, 5);
  macBytes(mac).copy(guid, 9, 2, 6);
  guid.writeUInt32BE(Number.parseInt(serial.slice(-8), 16), 13);
  return guid;
}

export interface DhcpRequestOptions {
  xid: number;
  type: (typeof DHCP)['DISCOVER'] | (typeof DHCP)['REQUEST'];
  client: ClientIdentity;
  requestedIp?: string;
  serverId?: string;
}

/** A DISCOVER or REQUEST: no client-id (61), no broadcast flag, arch 0 (93), PXE vendor class. */
export function buildRequest({ xid, type, client, requestedIp, serverId }: DhcpRequestOptions): Buffer {
  const header = Buffer.alloc(236);
  header[0] = 1; // BOOTREQUEST
  header[1] = 1; // Ethernet
  header[2] = 6;
  header.writeUInt32BE(xid, 4);
  // secs, flags (no broadcast flag: the Pi bootloader does not set it), ciaddr..giaddr: zero
  macBytes(client.mac).copy(header, 28);
  const options: number[] = [...MAGIC_COOKIE, 53, 1, type];
  if (requestedIp) options.push(50, 4, ...ipBytes(requestedIp));
  if (serverId) options.push(54, 4, ...ipBytes(serverId));
  options.push(55, PI5_PARAMETER_REQUEST_LIST.length, ...PI5_PARAMETER_REQUEST_LIST);
  options.push(60, PXE_VENDOR_CLASS.length, ...Buffer.from(PXE_VENDOR_CLASS, 'latin1'));
  options.push(93, 2, 0, 0);
  options.push(97, client.guid.length, ...client.guid);
  options.push(255);
  return Buffer.concat([header, Buffer.from(options)]);
}

export interface DhcpReply {
  op: number;
  xid: number;
  yiaddr: string;
  siaddr: string;
  chaddr: string;
  type: number | undefined;
  options: Map<number, Buffer>;
}

export function parseReply(packet: Buffer): DhcpReply {
  if (packet.length < 240 || !MAGIC_COOKIE.every((byte, i) => packet[236 + i] === byte)) {
    throw new Error('not a DHCP packet');
  }
  const options = new Map<number, Buffer>();
  for (let at = 240; at < packet.length;) {
    const code = packet[at];
    if (code === 255) break;
    if (code === 0) {
      at += 1;
      continue;
    }
    const length = packet[at + 1];
    options.set(code, packet.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return {
    op: packet[0],
    xid: packet.readUInt32BE(4),
    yiaddr: ipString(packet.subarray(16, 20)),
    siaddr: ipString(packet.subarray(20, 24)),
    chaddr: [...packet.subarray(28, 34)].map((b) => b.toString(16).padStart(2, '0')).join(':'),
    type: options.get(53)?.[0],
    options,
  };
}

/** Option 43 as PXE sub-options (RFC 4578 / PXE spec): code -> value. */
export function pxeSubOptions(option43: Buffer | undefined): Map<number, Buffer> {
  const result = new Map<number, Buffer>();
  if (!option43) return result;
  for (let at = 0; at < option43.length;) {
    const code = option43[at];
    if (code === 255) break;
    const length = option43[at + 1];
    result.set(code, option43.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return result;
}

export function ipString(bytes: Buffer): string {
  return [...bytes].join('.');
}

function ipBytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((part) => Number.parseInt(part, 16)));
}

import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

/** One DHCP server that answered the probe's DISCOVER with an OFFER. */
export interface DhcpOffer {
  /** Option 54, how the server names itself (falls back to the packet's source address). */
  serverId: string;
  /** Where the OFFER came from (a relay or the server itself). */
  from: string;
  /** The address it would lease (yiaddr). */
  offered: string;
}

export class DhcpProbeError extends Error {
  override name = 'DhcpProbeError';
}

const CLIENT_PORT = 68;
const RETRANSMIT_MS = 1000;
const SERVER_PORT = 67;
const MAGIC_COOKIE = Buffer.from([99, 130, 83, 99]);
const MESSAGE_TYPE = { DISCOVER: 1, OFFER: 2 } as const;

/**
 * Sends one DHCPDISCOVER out of the interface that holds `localAddress` and collects every OFFER
 * that arrives within `timeoutMs` (repeated each second): a second DHCP server on the deployment VLAN (a router, the old
 * deployment server) hands Pis leases without the netboot options, and they never boot from us.
 *
 * Written by hand: a DISCOVER and the three fields read back are ~60 lines of RFC 2131, while
 * the npm DHCP packages are unmaintained full servers/clients.
 *
 * The DISCOVER goes to 255.255.255.255 from a socket bound to `localAddress` (Linux then sends a
 * limited broadcast out of the interface that owns that address) with the BROADCAST flag set, so
 * every server broadcasts its OFFER back; a second socket bound to the wildcard address receives
 * them (a socket bound to one address never sees broadcasts). Port 68 needs
 * CAP_NET_BIND_SERVICE; both sockets use SO_REUSEADDR so a DHCP client on the machine is no obstacle.
 * The client MAC is random and locally administered, and nothing is ever requested: offers lapse.
 */
export async function probeDhcpServers(localAddress: string, timeoutMs = 4000): Promise<DhcpOffer[]> {
  const xid = randomBytes(4).readUInt32BE(0);
  const mac = randomBytes(6);
  mac[0] = (mac[0]! & 0xfc) | 0x02;
  const receiver = createSocket({ type: 'udp4', reuseAddr: true });
  const sender = createSocket({ type: 'udp4', reuseAddr: true });
  const offers = new Map<string, DhcpOffer>();
  try {
    receiver.on('message', (packet, from) => {
      const offer = parseOffer(packet, xid, from.address);
      if (offer) offers.set(`${offer.serverId}|${offer.from}`, offer);
    });
    await bind(receiver, CLIENT_PORT);
    await bind(sender, CLIENT_PORT, localAddress);
    sender.setBroadcast(true);
    const packet = discover(xid, mac);
    // Again every second, as real clients retransmit: dnsmasq pings an address before it offers
    // it and answers only a repeated DISCOVER once the ping has gone unanswered.
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await new Promise<void>((done, fail) =>
        sender.send(packet, SERVER_PORT, '255.255.255.255', (error) => (error ? fail(error) : done())),
      );
      await new Promise((done) => setTimeout(done, Math.min(RETRANSMIT_MS, deadline - Date.now())));
    }
    return [...offers.values()];
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES') {
      throw new DhcpProbeError(
        'cannot listen on UDP port 68: the server needs CAP_NET_BIND_SERVICE (the shipped rpi-deploy.service grants it)',
      );
    }
    throw new DhcpProbeError(`cannot send a DHCP probe from ${localAddress}: ${(error as Error).message}`);
  } finally {
    receiver.close();
    sender.close();
  }
}

function bind(socket: Socket, port: number, address?: string): Promise<void> {
  return new Promise((done, fail) => {
    socket.once('error', fail);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', fail);
      done();
    });
  });
}

function discover(xid: number, mac: Buffer): Buffer {
  const header = Buffer.alloc(236);
  header[0] = 1; // BOOTREQUEST
  header[1] = 1; // Ethernet
  header[2] = 6; // hardware address length
  header.writeUInt32BE(xid, 4);
  header.writeUInt16BE(0x8000, 10); // BROADCAST: answer to 255.255.255.255, we hold no address
  mac.copy(header, 28);
  const vendorClass = Buffer.from('rpi-deploy-preflight', 'latin1');
  const options = Buffer.from([
    ...MAGIC_COOKIE,
    53,
    1,
    MESSAGE_TYPE.DISCOVER,
    55,
    3,
    1, // subnet mask
    3, // router
    54, // server identifier
    60,
    vendorClass.length,
    ...vendorClass,
    255,
  ]);
  return Buffer.concat([header, options]);
}

function parseOffer(packet: Buffer, xid: number, from: string): DhcpOffer | undefined {
  if (packet.length < 240 || packet[0] !== 2 || packet.readUInt32BE(4) !== xid) return undefined;
  if (!packet.subarray(236, 240).equals(MAGIC_COOKIE)) return undefined;
  let type: number | undefined;
  let serverId: string | undefined;
  for (let at = 240; at < packet.length;) {
    const code = packet[at]!;
    if (code === 255) break;
    if (code === 0) {
      at += 1;
      continue;
    }
    const length = packet[at + 1] ?? 0;
    const value = packet.subarray(at + 2, at + 2 + length);
    if (code === 53 && length === 1) type = value[0];
    if (code === 54 && length === 4) serverId = [...value].join('.');
    at += 2 + length;
  }
  if (type !== MESSAGE_TYPE.OFFER) return undefined;
  return { serverId: serverId ?? from, from, offered: [...packet.subarray(16, 20)].join('.') };
}

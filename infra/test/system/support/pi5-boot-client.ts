/**
 * Plays a Raspberry Pi 5 bootloader on the network, inside the client network namespace:
 * DHCP DISCOVER/OFFER/REQUEST/ACK exactly as the bootloader sends them, then the TFTP reads of
 * its boot sequence. Prints one JSON object (BootClientResult) on stdout.
 *   node pi5-boot-client.js '<BootClientRequest as JSON>'
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { buildRequest, DHCP, parseReply, pxeSubOptions, type ClientIdentity, type DhcpReply } from './dhcp-packet';
import { tftpRead } from './tftp-client';

export interface BootClientRequest {
  interface: string;
  mac: string;
  /** Option 97 as hex. */
  guidHex: string;
  prefixLength: number;
  /** Only DHCP (a PC, or a Pi that should not be answered); the TFTP reads are skipped. */
  dhcpOnly?: boolean;
  /** TFTP paths in the bootloader's order; a `?` suffix marks an existence probe. */
  files: string[];
  timeoutMs: number;
}

export interface BootClientResult {
  offer: ReplySummary | null;
  ack: ReplySummary | null;
  files: {
    file: string;
    ok: boolean;
    size?: number;
    sha256?: string;
    tsize?: number;
    blksize?: number;
    error?: string;
  }[];
}

interface ReplySummary {
  yiaddr: string;
  siaddr: string;
  serverId: string | null;
  vendorClass: string | null;
  pxeBootMenu: string | null;
  option43Hex: string | null;
}

function summary(reply: DhcpReply): ReplySummary {
  const pxe = pxeSubOptions(reply.options.get(43));
  // PXE boot menu (sub-option 9): 2-byte type, 1-byte length, text.
  const menu = pxe.get(9);
  return {
    yiaddr: reply.yiaddr,
    siaddr: reply.siaddr,
    serverId: reply.options.get(54) ? [...reply.options.get(54)!].join('.') : null,
    vendorClass: reply.options.get(60)?.toString('latin1') ?? null,
    pxeBootMenu: menu ? menu.subarray(3, 3 + menu[2]).toString('latin1') : null,
    option43Hex: reply.options.get(43)?.toString('hex') ?? null,
  };
}

async function exchange(request: Buffer, xid: number, wanted: number, timeoutMs: number): Promise<DhcpReply | null> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve) => socket.bind(68, '0.0.0.0', resolve));
  socket.setBroadcast(true);
  return new Promise<DhcpReply | null>((resolve) => {
    const done = (reply: DhcpReply | null) => {
      clearInterval(resend);
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    socket.on('message', (packet) => {
      try {
        const reply = parseReply(packet);
        if (reply.op === 2 && reply.xid === xid && reply.type === wanted) done(reply);
      } catch {
        // not for us
      }
    });
    const send = () => socket.send(request, 67, '255.255.255.255');
    // Like the bootloader, ask again when nothing comes back (DHCP_REQ_TIMEOUT is 4 s there).
    const resend = setInterval(send, 1000);
    const timer = setTimeout(() => done(null), timeoutMs);
    send();
  });
}

async function main(request: BootClientRequest): Promise<BootClientResult> {
  const client: ClientIdentity = { mac: request.mac, guid: Buffer.from(request.guidHex, 'hex') };
  const xid = Math.floor(Math.random() * 0xffffffff);
  const offer = await exchange(buildRequest({ xid, type: DHCP.DISCOVER, client }), xid, DHCP.OFFER, request.timeoutMs);
  const result: BootClientResult = { offer: offer && summary(offer), ack: null, files: [] };
  if (!offer) return result;
  const serverId = offer.options.get(54) ? [...offer.options.get(54)!].join('.') : offer.siaddr;
  const ack = await exchange(
    buildRequest({ xid, type: DHCP.REQUEST, client, requestedIp: offer.yiaddr, serverId }),
    xid,
    DHCP.ACK,
    request.timeoutMs,
  );
  result.ack = ack && summary(ack);
  if (!ack || request.dhcpOnly) return result;

  // The bootloader now owns the leased address.
  execFileSync('ip', ['addr', 'add', `${ack.yiaddr}/${request.prefixLength}`, 'dev', request.interface]);
  const tftpServer = ack.siaddr !== '0.0.0.0' ? ack.siaddr : serverId;
  for (const entry of request.files) {
    const probeOnly = entry.endsWith('?');
    const file = probeOnly ? entry.slice(0, -1) : entry;
    const read = await tftpRead(file, { server: tftpServer, localAddress: ack.yiaddr, probeOnly });
    result.files.push({
      file: entry,
      ok: read.ok,
      size: read.bytes?.length,
      sha256: read.bytes && createHash('sha256').update(read.bytes).digest('hex'),
      tsize: read.tsize,
      blksize: read.blksize,
      error: read.error,
    });
  }
  return result;
}

if (require.main === module) {
  main(JSON.parse(process.argv[2]) as BootClientRequest).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}

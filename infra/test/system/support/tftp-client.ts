import { createSocket, type RemoteInfo } from 'node:dgram';

/**
 * A TFTP client (RFC 1350 with the blksize and tsize options of RFC 2348/2349) that reads files
 * the way the Pi 5 bootloader does: octet mode, `blksize 1468`, `tsize 0`.
 */
const OP = { RRQ: 1, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

export interface TftpResult {
  file: string;
  ok: boolean;
  bytes?: Buffer;
  /** tsize announced in the OACK. */
  tsize?: number;
  blksize?: number;
  error?: string;
}

export interface TftpReadOptions {
  server: string;
  localAddress?: string;
  blksize?: number;
  /** Abort after the first block with ERROR 0 "Early terminate", like the bootloader's existence probes. */
  probeOnly?: boolean;
  timeoutMs?: number;
}

export function tftpRead(file: string, options: TftpReadOptions): Promise<TftpResult> {
  const blksize = options.blksize ?? 1468;
  const socket = createSocket('udp4');
  const chunks: Buffer[] = [];
  let expected = 1;
  let tsize: number | undefined;
  let negotiatedBlksize = 512;
  return new Promise<TftpResult>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: Omit<TftpResult, 'file'>) => {
      clearTimeout(timer);
      socket.close();
      resolve({ file, ...result });
    };
    const armTimeout = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish({ ok: false, error: 'timeout' }), options.timeoutMs ?? 5000);
    };
    const send = (packet: Buffer, peer: { address: string; port: number }, then?: () => void) =>
      socket.send(packet, peer.port, peer.address, () => then?.());
    socket.on('message', (packet: Buffer, peer: RemoteInfo) => {
      armTimeout();
      const opcode = packet.readUInt16BE(0);
      if (opcode === OP.ERROR) {
        finish({
          ok: false,
          error: `${packet.readUInt16BE(2)} ${packet.subarray(4).toString('latin1').replace(/\0.*$/s, '')}`,
        });
      } else if (opcode === OP.OACK) {
        const fields = packet.subarray(2).toString('latin1').split('\0');
        for (let i = 0; i + 1 < fields.length; i += 2) {
          if (fields[i].toLowerCase() === 'tsize') tsize = Number(fields[i + 1]);
          if (fields[i].toLowerCase() === 'blksize') negotiatedBlksize = Number(fields[i + 1]);
        }
        send(ack(0), peer);
      } else if (opcode === OP.DATA) {
        const block = packet.readUInt16BE(2);
        if (block !== (expected & 0xffff)) {
          send(ack(block), peer); // a duplicate: acknowledge again, keep nothing
          return;
        }
        if (options.probeOnly) {
          // Closing before the datagram has left would drop it: finish once it is sent.
          send(error(0, 'Early terminate'), peer, () => finish({ ok: true, tsize, blksize: negotiatedBlksize }));
          return;
        }
        const data = packet.subarray(4);
        chunks.push(Buffer.from(data));
        expected += 1;
        const last = data.length < negotiatedBlksize;
        send(ack(block), peer, () => {
          if (last) finish({ ok: true, bytes: Buffer.concat(chunks), tsize, blksize: negotiatedBlksize });
        });
      }
    });
    socket.bind({ address: options.localAddress ?? '0.0.0.0', port: 0 }, () => {
      const request = Buffer.concat([
        u16(OP.RRQ),
        Buffer.from(`${file}\0octet\0blksize\0${blksize}\0tsize\0${0}\0`, 'latin1'),
      ]);
      send(request, { address: options.server, port: 69 });
      armTimeout();
    });
  });
}

function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}

function ack(block: number): Buffer {
  return Buffer.concat([u16(OP.ACK), u16(block & 0xffff)]);
}

function error(code: number, message: string): Buffer {
  return Buffer.concat([u16(OP.ERROR), u16(code), Buffer.from(`${message}\0`, 'latin1')]);
}

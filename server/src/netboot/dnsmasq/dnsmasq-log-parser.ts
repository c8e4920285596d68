/** One line of dnsmasq's log that says something about a booting unit. */
export type DnsmasqLogEntry =
  | { kind: 'dhcp-discover' | 'dhcp-offer' | 'dhcp-ack'; mac: string; ip: string | null; interface: string }
  | { kind: 'tftp-sent' | 'tftp-not-found' | 'tftp-failed'; ip: string; path: string }
  | { kind: 'tftp-error'; ip: string; code: number; message: string };

const PREFIX = /^(?:\w{3}\s+\d+\s+[\d:]+\s+)?dnsmasq-(dhcp|tftp)\[\d+\]:\s+(.*)$/;
const DHCP =
  /^\d+\s+DHCP(DISCOVER|OFFER|ACK)\(([^)]+)\)\s+(?:(\d+\.\d+\.\d+\.\d+)\s+)?([0-9a-f]{2}(?::[0-9a-f]{2}){5})/i;
const SENT = /^sent (.+) to (\S+)$/;
const NOT_FOUND = /^file (.+) not found for (\S+)$/;
const FAILED = /^failed sending (.+) to (\S+)$/;
const ERROR = /^error (\d+) (.*) received from (\S+)$/;

/**
 * Reads a line of dnsmasq's log-facility file (docs/pi5-netboot.md §7.1); anything else is undefined.
 * TFTP paths are as dnsmasq prints them: the TFTP root followed by the requested file.
 */
export function parseDnsmasqLogLine(line: string): DnsmasqLogEntry | undefined {
  const prefixed = PREFIX.exec(line.trim());
  if (!prefixed) return undefined;
  const [, facility, text] = prefixed;
  if (facility === 'dhcp') {
    const dhcp = DHCP.exec(text);
    if (!dhcp) return undefined;
    const kind = `dhcp-${dhcp[1].toLowerCase()}` as 'dhcp-discover' | 'dhcp-offer' | 'dhcp-ack';
    return { kind, interface: dhcp[2], ip: dhcp[3] ?? null, mac: dhcp[4].toLowerCase() };
  }
  let match = SENT.exec(text);
  if (match) return { kind: 'tftp-sent', path: match[1], ip: match[2] };
  match = NOT_FOUND.exec(text);
  if (match) return { kind: 'tftp-not-found', path: match[1], ip: match[2] };
  match = FAILED.exec(text);
  if (match) return { kind: 'tftp-failed', path: match[1], ip: match[2] };
  match = ERROR.exec(text);
  if (match) return { kind: 'tftp-error', code: Number(match[1]), message: match[2], ip: match[3] };
  return undefined;
}

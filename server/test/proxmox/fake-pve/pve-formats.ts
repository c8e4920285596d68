import { isIPv4, isIPv6 } from 'node:net';
import type { PveSchema } from './pve-schema';

/**
 * Proxmox's named string formats, as its Perl code (PVE::JSONSchema, qemu-server) defines them:
 * the API schema only names them. A verifier throws the message Proxmox would give; a format
 * that is itself a property string maps to its sub-schema.
 */
export type NamedFormat = ((value: string) => void) | Record<string, PveSchema>;

const regex = (pattern: RegExp, message: (value: string) => string) => (value: string) => {
  if (!pattern.test(value)) throw new Error(message(value));
};

const cidr = (family: 4 | 6) => (value: string) => {
  const match = /^(.+)\/(\d+)$/.exec(value);
  const ok = match && (family === 4 ? isIPv4(match[1]) : isIPv6(match[1]));
  const prefix = match ? Number(match[2]) : 0;
  if (!ok || prefix <= 7 || prefix > (family === 4 ? 32 : 128)) {
    throw new Error(`value does not look like a valid IPv${family} CIDR network`);
  }
};

const VOLUME_ID = /^([a-z][a-z0-9\-_.]*[a-z0-9]):(.+)$/i;
const dnsLabel = '([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)';
const DNS_NAME = new RegExp(`^(${dnsLabel}\\.)*${dnsLabel}$`);

export const NAMED_FORMATS: Record<string, NamedFormat> = {
  'pve-node': regex(/^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)$/, () => 'value does not look like a valid node name'),
  'pve-vmid': regex(/^[1-9][0-9]{2,8}$/, () => 'value does not look like a valid VM ID'),
  'pve-configid': regex(/^[a-z][a-z0-9_]+$/i, (v) => `invalid configuration ID '${v}'`),
  'pve-storage-id': regex(/^[a-z][a-z0-9\-_.]*[a-z0-9]$/i, (v) => `storage ID '${v}' contains illegal characters`),
  'pve-realm': regex(/^[A-Za-z][A-Za-z0-9.\-_]+$/, () => 'value does not look like a valid realm'),
  'pve-poolid': regex(/^[A-Za-z0-9_\-./]+$/, (v) => `invalid pool ID '${v}'`),
  'dns-name': regex(DNS_NAME, () => 'value does not look like a valid DNS name'),
  urlencoded: regex(/^[-%a-zA-Z0-9_.!~*'()]*$/, (v) => `invalid urlencoded string: ${v}`),
  'mac-addr': regex(
    /^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$/i,
    () => 'value does not look like a valid unicast MAC address',
  ),
  'pve-bridge-id': regex(/^[-_.\w]+$/, (v) => `invalid bridge ID '${v}'`),
  'disk-size': regex(/^(\d+(\.\d+)?)([KMGT])?$/, (v) => `value does not look like a valid disk size: ${v}`),
  'pve-storage-content': regex(/^[a-z]+$/, (v) => `invalid content type '${v}'`),
  ipv4: (v) => {
    if (!isIPv4(v)) throw new Error('value does not look like a valid IPv4 address');
  },
  ipv6: (v) => {
    if (!isIPv6(v)) throw new Error('value does not look like a valid IPv6 address');
  },
  address: (v) => {
    if (!isIPv4(v) && !isIPv6(v) && !DNS_NAME.test(v))
      throw new Error(`value does not look like a valid address: ${v}`);
  },
  CIDRv4: cidr(4),
  CIDRv6: cidr(6),
  'pve-ipv4-config': (v) => {
    if (/^(?:dhcp|manual)$/.test(v)) return;
    try {
      cidr(4)(v);
    } catch {
      throw new Error('value does not look like a valid ipv4 network configuration');
    }
  },
  'pve-ipv6-config': (v) => {
    if (/^(?:auto|dhcp|manual)$/.test(v)) return;
    try {
      cidr(6)(v);
    } catch {
      throw new Error('value does not look like a valid ipv6 network configuration');
    }
  },
  'pve-volume-id': regex(VOLUME_ID, (v) => `unable to parse volume ID '${v}'`),
  'pve-volume-id-or-qm-path': (v) => {
    if (v === 'none' || v === 'cdrom' || v.startsWith('/') || VOLUME_ID.test(v)) return;
    throw new Error(`unable to parse volume ID '${v}'`);
  },
  'pve-volume-id-or-absolute-path': (v) => {
    if (v.startsWith('/') || VOLUME_ID.test(v)) return;
    throw new Error(`unable to parse volume ID '${v}'`);
  },
  // qemu-server: "[[legacy=]<[acdn]{1,4}>] [,order=<device[;device...]>]"
  'pve-qm-boot': {
    legacy: { type: 'string', pattern: '[acdn]{1,4}', default_key: 1, optional: 1 },
    order: { type: 'string', format: 'pve-qm-bootdev-list', optional: 1 },
  },
  'pve-qm-bootdev': regex(/^(?:(?:ide|sata|scsi|virtio|net|hostpci|usb)\d+)$/, (v) => `invalid boot device '${v}'`),
  // qemu-server's $ipconfig_fmt: "[gw=<GatewayIPv4>] [,gw6=<GatewayIPv6>] [,ip=<IPv4Format/CIDR>] [,ip6=<IPv6Format/CIDR>]"
  'pve-qm-ipconfig': {
    ip: { type: 'string', format: 'pve-ipv4-config', optional: 1 },
    gw: { type: 'string', format: 'ipv4', optional: 1, requires: 'ip' },
    ip6: { type: 'string', format: 'pve-ipv6-config', optional: 1 },
    gw6: { type: 'string', format: 'ipv6', optional: 1, requires: 'ip6' },
  },
};

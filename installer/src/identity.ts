import { readFile } from 'node:fs/promises';

/** Where a Pi 5 keeps its identity; tests point these at fixture files. */
export interface IdentitySources {
  deviceTreeSerial: string;
  deviceTreeModel: string;
  cpuinfo: string;
  meminfo: string;
  macAddress: string;
}

export const PI_IDENTITY_SOURCES: IdentitySources = {
  deviceTreeSerial: '/proc/device-tree/serial-number',
  deviceTreeModel: '/proc/device-tree/model',
  cpuinfo: '/proc/cpuinfo',
  meminfo: '/proc/meminfo',
  macAddress: '/sys/class/net/eth0/address',
};

const SERIAL = /^[0-9a-f]{8,16}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** The board serial (16 hex digits on a Pi 5): device tree first, else the Serial line of cpuinfo. */
export async function readSerial(sources: IdentitySources = PI_IDENTITY_SOURCES): Promise<string | undefined> {
  const fromDeviceTree = await readText(sources.deviceTreeSerial);
  const candidate = fromDeviceTree?.replace(/\0/g, '').trim().toLowerCase();
  if (candidate && SERIAL.test(candidate)) return candidate;
  const cpuinfo = await readText(sources.cpuinfo);
  const line = cpuinfo?.match(/^Serial\s*:\s*([0-9a-fA-F]+)\s*$/m)?.[1]?.toLowerCase();
  return line && SERIAL.test(line) ? line : undefined;
}

export async function readMacAddress(sources: IdentitySources = PI_IDENTITY_SOURCES): Promise<string | undefined> {
  const mac = (await readText(sources.macAddress))?.trim().toLowerCase();
  return mac && MAC.test(mac) ? mac : undefined;
}

/** "Raspberry Pi 5 Model B Rev 1.0": device tree first, else the Model line of cpuinfo. */
export async function readModel(sources: IdentitySources = PI_IDENTITY_SOURCES): Promise<string | undefined> {
  const fromDeviceTree = (await readText(sources.deviceTreeModel))?.replace(/\0/g, '').trim();
  if (fromDeviceTree) return fromDeviceTree;
  return (await readText(sources.cpuinfo))?.match(/^Model\s*:\s*(.+?)\s*$/m)?.[1];
}

/** Total RAM in bytes (MemTotal of /proc/meminfo): 2 GB units need the bounded write path most. */
export async function readMemoryBytes(sources: IdentitySources = PI_IDENTITY_SOURCES): Promise<number | undefined> {
  const kib = (await readText(sources.meminfo))?.match(/^MemTotal:\s*(\d+)\s*kB/m)?.[1];
  return kib ? Number(kib) * 1024 : undefined;
}

export function isValidSerial(serial: string): boolean {
  return SERIAL.test(serial.toLowerCase());
}

export function isValidMac(mac: string): boolean {
  return MAC.test(mac.toLowerCase());
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

import type { NetbootDeviceDto } from '@rpi-deploy/contracts';

/** A unit not heard from for this long has left the network (switched off, booted elsewhere). */
export const NETBOOT_STALE_MS = 15 * 60 * 1000;

/** Folds newly seen devices into the list, by MAC; the newer sighting wins. */
export function mergeDevices(
  current: readonly NetbootDeviceDto[],
  seen: readonly NetbootDeviceDto[],
): NetbootDeviceDto[] {
  const byMac = new Map(current.map((device) => [device.mac, device]));
  for (const device of seen) {
    const known = byMac.get(device.mac);
    if (!known || known.lastSeenAt <= device.lastSeenAt) byMac.set(device.mac, device);
  }
  return [...byMac.values()];
}

/** Units booting from the network that have not asked the installer API for their config yet, newest first. */
export function waitingForConfig(devices: readonly NetbootDeviceDto[], now: number): NetbootDeviceDto[] {
  return devices
    .filter((device) => device.deploymentId === null && now - Date.parse(device.lastSeenAt) < NETBOOT_STALE_MS)
    .sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt));
}

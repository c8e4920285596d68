import type { NetbootDeviceDto } from '@rpi-deploy/contracts';
import { mergeDevices, NETBOOT_STALE_MS, waitingForConfig } from './netbooting-devices';

const NOW = Date.parse('2026-11-26T10:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function device(overrides: Partial<NetbootDeviceDto>): NetbootDeviceDto {
  return {
    mac: 'd8:3a:dd:00:00:01',
    ip: '10.0.0.10',
    serial: null,
    phase: 'tftp',
    firstSeenAt: ago(60_000),
    lastSeenAt: ago(1_000),
    filesServed: 3,
    bytesServed: 1000,
    lastFile: 'config.txt',
    deploymentId: null,
    hostname: null,
    ...overrides,
  };
}

describe('mergeDevices', () => {
  it('replaces a device by MAC with its newer sighting and adds new ones', () => {
    const merged = mergeDevices(
      [device({ filesServed: 1, lastSeenAt: ago(5_000) })],
      [device({ filesServed: 7, lastSeenAt: ago(1_000) }), device({ mac: 'd8:3a:dd:00:00:02' })],
    );

    expect(merged.map((d) => [d.mac, d.filesServed])).toEqual([
      ['d8:3a:dd:00:00:01', 7],
      ['d8:3a:dd:00:00:02', 3],
    ]);
  });

  it('keeps the newer sighting when an older one arrives late', () => {
    const merged = mergeDevices(
      [device({ filesServed: 9, lastSeenAt: ago(1_000) })],
      [device({ lastSeenAt: ago(9_000) })],
    );

    expect(merged[0].filesServed).toBe(9);
  });
});

describe('waitingForConfig', () => {
  it('lists recent units without a deployment, newest first', () => {
    const devices = [
      device({ mac: 'a', lastSeenAt: ago(20_000) }),
      device({ mac: 'b', deploymentId: 'd-1', hostname: 'KXP2-CORO-001' }),
      device({ mac: 'c', lastSeenAt: ago(NETBOOT_STALE_MS + 1) }),
      device({ mac: 'd', lastSeenAt: ago(2_000) }),
    ];

    expect(waitingForConfig(devices, NOW).map((d) => d.mac)).toEqual(['d', 'a']);
  });
});

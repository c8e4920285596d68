import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMacAddress, readMemoryBytes, readModel, readSerial, type IdentitySources } from './identity';

function fixture(files: Partial<Record<keyof IdentitySources, string>>): IdentitySources {
  const dir = mkdtempSync(join(tmpdir(), 'identity-'));
  const sources: IdentitySources = {
    deviceTreeSerial: join(dir, 'serial-number'),
    deviceTreeModel: join(dir, 'model'),
    cpuinfo: join(dir, 'cpuinfo'),
    meminfo: join(dir, 'meminfo'),
    macAddress: join(dir, 'address'),
  };
  for (const [key, content] of Object.entries(files)) writeFileSync(sources[key as keyof IdentitySources], content);
  return sources;
}

describe('identity', () => {
  it('reads the 16-digit serial from the device tree, trailing NUL and all', async () => {
    const sources = fixture({ deviceTreeSerial: '10000000ABC12345\0', cpuinfo: 'Serial\t\t: 00000000deadbeef\n' });
    expect(await readSerial(sources)).toBe('10000000abc12345');
  });

  it('falls back to the Serial line of /proc/cpuinfo', async () => {
    const sources = fixture({
      cpuinfo: 'processor\t: 0\nRevision\t: d04170\nSerial\t\t: 2d5f1a8e9b0c4d7e\nModel\t\t: Raspberry Pi 5\n',
    });
    expect(await readSerial(sources)).toBe('2d5f1a8e9b0c4d7e');
  });

  it('finds no serial when neither source has a valid one', async () => {
    expect(await readSerial(fixture({ deviceTreeSerial: 'not-hex\0', cpuinfo: 'processor: 0\n' }))).toBeUndefined();
  });

  it('reads and normalises the MAC address', async () => {
    expect(await readMacAddress(fixture({ macAddress: 'D8:3A:DD:12:34:56\n' }))).toBe('d8:3a:dd:12:34:56');
    expect(await readMacAddress(fixture({ macAddress: 'garbage\n' }))).toBeUndefined();
    expect(await readMacAddress(fixture({}))).toBeUndefined();
  });

  it('reads the model from the device tree, else from the Model line of /proc/cpuinfo', async () => {
    expect(await readModel(fixture({ deviceTreeModel: 'Raspberry Pi 5 Model B Rev 1.0\0' }))).toBe(
      'Raspberry Pi 5 Model B Rev 1.0',
    );
    expect(
      await readModel(fixture({ cpuinfo: 'Revision\t: c04170\nModel\t\t: Raspberry Pi 5 Model B Rev 1.1\n' })),
    ).toBe('Raspberry Pi 5 Model B Rev 1.1');
    expect(await readModel(fixture({ cpuinfo: 'processor\t: 0\n' }))).toBeUndefined();
  });

  it('reads the total memory in bytes', async () => {
    expect(await readMemoryBytes(fixture({ meminfo: 'MemTotal:        8245700 kB\nMemFree:  100 kB\n' }))).toBe(
      8245700 * 1024,
    );
    expect(await readMemoryBytes(fixture({}))).toBeUndefined();
  });
});

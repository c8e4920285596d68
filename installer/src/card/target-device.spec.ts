import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeWorkDir } from '../../test/support/work-dir';
import { InstallError } from '../install-error';
import { checkCapacity, inspectTarget, mountPointsOf, openForWriting } from './target-device';

const work = makeWorkDir('target');
afterAll(() => work.remove());

describe('the target card', () => {
  it('takes a regular file as a card of exactly its size', async () => {
    const path = join(work.path, 'card.img');
    writeFileSync(path, Buffer.alloc(123456));
    expect(await inspectTarget(path)).toEqual({ path, kind: 'file', sizeBytes: 123456 });
  });

  it('says "no card" when the device does not exist', async () => {
    const path = join(work.path, 'mmcblk9');
    await expect(inspectTarget(path)).rejects.toThrow(
      new InstallError(`no card: ${path} does not exist (is an SD card inserted?)`),
    );
  });

  it('refuses what is neither a block device nor a regular file', async () => {
    const path = join(work.path, 'a-directory');
    mkdirSync(path);
    await expect(inspectTarget(path)).rejects.toThrow(/is neither a block device nor a regular file/);
  });

  it('says how much is missing when the card is too small', () => {
    expect(() =>
      checkCapacity({ path: '/dev/mmcblk0', kind: 'block-device', sizeBytes: 7_948_206_080 }, 8_589_934_592),
    ).toThrow(
      new InstallError(
        'card too small: /dev/mmcblk0 holds 7.4 GiB (7948206080 bytes) < image 8.0 GiB (8589934592 bytes)',
      ),
    );
    expect(() => checkCapacity({ path: '/dev/mmcblk0', kind: 'block-device', sizeBytes: 100 }, 100)).not.toThrow();
  });

  it('finds mount points of the card and its partitions in mountinfo (device numbers, not names)', () => {
    const mountinfo = [
      '22 1 179:2 / / rw,noatime shared:1 - ext4 /dev/root rw',
      '25 22 179:1 / /boot/firmware rw,relatime shared:2 - vfat /dev/mmcblk0p1 rw',
      '26 22 8:1 / /mnt/usb\\040stick rw shared:3 - vfat /dev/sda1 rw',
      '',
    ].join('\n');
    expect(mountPointsOf(mountinfo, new Set(['179:0', '179:1', '179:2']))).toEqual(['/', '/boot/firmware']);
    expect(mountPointsOf(mountinfo, new Set(['8:0', '8:1']))).toEqual(['/mnt/usb stick']);
    expect(mountPointsOf(mountinfo, new Set(['259:0']))).toEqual([]);
  });

  it('says which card could not be opened for writing, and why', async () => {
    const path = join(work.path, 'not-a-card');
    mkdirSync(path);
    await expect(openForWriting({ path, kind: 'file', sizeBytes: 10 })).rejects.toThrow(
      new RegExp(`^cannot open ${path} for writing: EISDIR`),
    );
  });
});

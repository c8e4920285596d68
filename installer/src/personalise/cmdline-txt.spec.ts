import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeWorkDir } from '../../test/support/work-dir';
import { cmdlineWithFirstRun, cmdlineWithInstanceId } from './cmdline-txt';
import { firstRunScript } from './firstrun-script';

const MASTER =
  'console=serial0,115200 console=tty1 root=PARTUUID=4ee51d2f-02 rootfstype=ext4 fsck.repair=yes rootwait\n';
const WIRED = `${MASTER.trim()} systemd.run=/boot/firmware/firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target\n`;

describe('cmdline.txt', () => {
  it('is wired to run the first-boot script, on one line', () => {
    expect(cmdlineWithFirstRun(MASTER, '/boot/firmware/firstrun.sh')).toBe(WIRED);
  });

  it('replaces earlier wiring instead of adding a second one', () => {
    const older = `${MASTER.trim()} systemd.run=/boot/firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target quiet\n`;
    expect(cmdlineWithFirstRun(older, '/boot/firmware/firstrun.sh')).toBe(
      WIRED.replace(' systemd.run=', ' quiet systemd.run='),
    );
  });

  it("points cloud-init's NoCloud seed at the new instance id", () => {
    expect(
      cmdlineWithInstanceId('root=/dev/x ds=nocloud;i=master;s=file:///boot/firmware/ quiet\n', 'rpi-deploy-7'),
    ).toBe('root=/dev/x ds=nocloud;s=file:///boot/firmware/;i=rpi-deploy-7 quiet\n');
    expect(cmdlineWithInstanceId(MASTER, 'rpi-deploy-7')).toBe(MASTER);
  });
});

describe('firstrun.sh', () => {
  const work = makeWorkDir('firstrun');
  afterAll(() => work.remove());
  const script = firstRunScript({ bootDir: '/boot/firmware', hostname: 'RXP2-CORO-ABC12345' });

  it('is valid POSIX shell', () => {
    const path = join(work.path, 'firstrun.sh');
    writeFileSync(path, script);
    expect(() => execFileSync('sh', ['-n', path])).not.toThrow();
  });

  it('removes exactly the tokens that run it from cmdline.txt (its own clean-up line, run for real)', () => {
    const cmdline = join(work.path, 'cmdline.txt');
    writeFileSync(cmdline, WIRED);
    const cleanup = script.split('\n').find((line) => line.startsWith('sed -i ')) as string;
    execFileSync('sh', ['-c', cleanup.replace('"$BOOT_DIR/cmdline.txt"', `"${cmdline}"`)]);
    expect(readFileSync(cmdline, 'utf8')).toBe(MASTER);
  });

  it('regenerates what the installer removed, grows the root file system and removes itself', () => {
    expect(script).toMatch(/^#!\/bin\/sh\n/);
    expect(script).toContain('BOOT_DIR=/boot/firmware\n');
    expect(script).toContain('ssh-keygen -A');
    expect(script).toContain('systemd-machine-id-setup');
    expect(script).toMatch(/sfdisk --no-reread --no-tell-kernel -N "\$number" "\$disk"/);
    expect(script).toContain('resize2fs "$root_part"');
    expect(script).toContain('rm -f "$BOOT_DIR/firstrun.sh"');
    expect(script.trimEnd().endsWith('exit 0')).toBe(true);
  });
});

/**
 * Boots the netboot initramfs on QEMU's arm64 `virt` machine (software emulation) as a stand-in
 * for a Pi 5: a file as the SD card (/dev/vda), user-mode networking in which the host's loopback
 * is 10.0.2.2, a board serial in the device tree, the serial console captured to a file.
 * Used by the system test; the kernel and its virt modules come from virt-kernel.sh.
 */
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const WORKSPACE = resolve(__dirname, '../..');

/**
 * Where the netboot scripts keep their downloads and builds (INITRAMFS_CACHE, else
 * ~/.cache/rpi-deploy/initramfs as in build.sh): outside the checkout, so a fresh clone on the
 * same machine reuses them. Everything in it is keyed by its inputs.
 */
export function initramfsCache(): string {
  const home = process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  return process.env['INITRAMFS_CACHE'] ?? join(home, 'rpi-deploy', 'initramfs');
}
/** The modules virt-kernel.sh packs, in load order (modprobe adds failover and net_failover). */
export const VIRT_MODULES = ['virtio_mmio', 'virtio_net', 'virtio_blk'];

export interface VirtKernel {
  vmlinuz: string;
  modulesArchive: string;
  version: string;
}

/** Debian's arm64 kernel and its virt modules archive, downloaded and cached by virt-kernel.sh. */
export function prepareVirtKernel(outDir: string): VirtKernel {
  runScript('virt-kernel.sh', [outDir]);
  return {
    vmlinuz: join(outDir, 'vmlinuz'),
    modulesArchive: join(outDir, 'modules.cpio.zst'),
    version: readFileSync(join(outDir, 'kernel-version'), 'utf8').trim(),
  };
}

/** `npm run build:initramfs` (a no-op when dist/netboot is up to date with its inputs). */
export function buildInitramfs(): void {
  runScript('build.sh', []);
}

function runScript(name: string, args: string[]): void {
  try {
    execFileSync('bash', [join(__dirname, name), ...args], { cwd: WORKSPACE, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failed = error as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(`infra/initramfs/${name} failed:\n${failed.stderr ?? ''}${failed.stdout ?? ''}`);
  }
}

export interface VirtBoot {
  kernel: VirtKernel;
  /** Archives concatenated into the one -initrd file, in order. */
  initrdParts: string[];
  card: string;
  /** Kernel command line after the console settings. */
  append: string;
  /** 16 hex digits, as /proc/device-tree/serial-number of a Pi. */
  serial: string;
  mac: string;
  workDir: string;
  timeoutMs: number;
  /** Console output that ends the run at once (a failed attempt), instead of waiting for the timeout. */
  stopOn?: RegExp;
  /** A port on the host's loopback forwarded to the guest's SSH port (22). */
  sshPort?: number;
}

export interface VirtBootResult {
  /** QEMU's exit code (0 after the guest rebooted, thanks to -no-reboot); null when killed. */
  exitCode: number | null;
  timedOut: boolean;
  console: string;
  elapsedMs: number;
}

/** Boots, waits for QEMU to exit (the guest rebooting ends it) or the timeout, returns the console. */
export async function bootVirt(boot: VirtBoot): Promise<VirtBootResult> {
  const machine = [
    '-M', 'virt', '-cpu', 'cortex-a72', '-m', '1024', '-smp', '2', '-nographic', '-no-reboot',
    '-drive', `file=${boot.card},if=none,format=raw,id=card`, '-device', 'virtio-blk-device,drive=card',
    '-netdev', `user,id=net${boot.sshPort ? `,hostfwd=tcp:127.0.0.1:${boot.sshPort}-:22` : ''}`,
    '-device', `virtio-net-device,netdev=net,mac=${boot.mac}`,
  ]; // prettier-ignore
  const dtb = piLikeDeviceTree(machine, boot.serial, boot.workDir);
  const initrd = join(boot.workDir, 'initrd.img');
  writeFileSync(initrd, Buffer.concat(boot.initrdParts.map((part) => readFileSync(part))));

  const consoleLog = join(boot.workDir, 'console.log');
  const started = Date.now();
  const qemu = spawn(
    'qemu-system-aarch64',
    [
      ...machine,
      '-kernel', boot.kernel.vmlinuz, '-initrd', initrd, '-dtb', dtb,
      '-append', `console=ttyAMA0 panic=10 ${boot.append}`,
    ], // prettier-ignore
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = createWriteStream(consoleLog);
  qemu.stdout.pipe(log);
  qemu.stderr.pipe(log);
  let recent = '';
  qemu.stdout.on('data', (chunk: Buffer) => {
    recent = (recent + chunk.toString()).slice(-4096);
    if (boot.stopOn?.test(recent)) qemu.kill('SIGKILL');
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    qemu.kill('SIGKILL');
  }, boot.timeoutMs);
  const exitCode = await new Promise<number | null>((done, fail) => {
    qemu.once('error', fail);
    qemu.once('exit', (code) => done(code));
  }).finally(() => clearTimeout(timer));
  await new Promise((done) => log.end(done));
  return { exitCode, timedOut, console: readFileSync(consoleLog, 'utf8'), elapsedMs: Date.now() - started };
}

/** The virt machine's own device tree plus a root `serial-number`, where a Pi keeps its serial. */
function piLikeDeviceTree(machine: string[], serial: string, workDir: string): string {
  const dumped = join(workDir, 'virt.dtb');
  execFileSync('qemu-system-aarch64', [...machine, '-machine', `dumpdtb=${dumped}`], { stdio: 'pipe' });
  const source = execFileSync('dtc', ['-q', '-I', 'dtb', '-O', 'dts', dumped]).toString();
  const withSerial = source.replace(/^\/ \{$/m, `/ {\n\tserial-number = "${serial}";`);
  if (withSerial === source) throw new Error('the dumped virt device tree has no root node to extend');
  const dtb = join(workDir, 'pi-like.dtb');
  execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-o', dtb], { input: withSerial });
  return dtb;
}

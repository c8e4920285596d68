import { writeFile } from 'node:fs/promises';
import { runProgram } from './run-program';

/**
 * Reboots into the finished card. Everything is already on the card (fdatasync after the last
 * write), so an immediate reboot is safe: `reboot -f` (busybox and systemd both have it), and if
 * that is missing, the kernel's emergency reboot through /proc/sysrq-trigger. The install has
 * succeeded either way, so a unit that cannot reboot itself says so and still exits 0.
 */
export async function rebootNow(log: (line: string) => void): Promise<void> {
  log('rebooting into the new system');
  await runProgram('sync', []).catch(() => undefined);
  try {
    await runProgram('reboot', ['-f']);
  } catch (error) {
    log(`reboot -f failed (${(error as Error).message}); rebooting through /proc/sysrq-trigger`);
    await writeFile('/proc/sysrq-trigger', 'b').catch((sysrq: Error) =>
      log(`could not reboot (${sysrq.message}); the card is ready, power-cycle the unit`),
    );
  }
}

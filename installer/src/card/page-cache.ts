import { InstallError } from '../install-error';
import { runProgram } from '../run-program';
import type { TargetDevice } from './target-device';

/**
 * Makes the next reads of the card come from the card, not from memory. Call after a sync.
 *
 * Block device: `blockdev --flushbufs` (the BLKFLSBUF ioctl) writes back and drops the device's
 * page cache; without it verification would compare memory with memory, so its failure is fatal.
 *
 * Regular file (tests, benchmarks): Node has no posix_fadvise, so `dd iflag=nocache count=0`
 * asks the kernel to drop the file's clean cached pages (POSIX_FADV_DONTNEED, as GNU dd documents).
 * That is advice, not a guarantee (tmpfs, for one, keeps everything in memory), so it is best effort.
 */
export async function dropCachedPages(target: TargetDevice, log: (line: string) => void): Promise<void> {
  if (target.kind === 'block-device') {
    await runProgram('blockdev', ['--flushbufs', target.path]).catch((error: Error) => {
      throw new InstallError(`cannot drop the card's cached pages, so it cannot be verified: ${error.message}`);
    });
    return;
  }
  await runProgram('dd', [`if=${target.path}`, 'iflag=nocache', 'count=0', 'status=none']).catch((error: Error) =>
    log(`could not drop the cached pages of ${target.path} (${error.message}); verification may read from memory`),
  );
}

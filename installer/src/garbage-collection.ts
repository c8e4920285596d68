import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection, asked for by a loop that drops a large buffer per step. V8 frees a
 * dead Buffer's memory only when its own (small) heap fills up or when the memory outside it has
 * grown by tens of MiB since the last collection: a chunked install drops a decoded MiB, its
 * frame and the pieces it arrived in per chunk, and carried up to 80 MiB of them (peak RSS over
 * 256 MiB). Collecting every few dozen MiB costs milliseconds. The `gc` function is exposed at
 * run time (the installer is started as plain `node pi-installer.js`); where that fails, nothing
 * is collected early.
 */
export function garbageCollector(): () => void {
  try {
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as unknown;
    if (typeof collect === 'function') return () => collect();
  } catch {
    // No early collection: memory is bounded by V8's own limits only.
  }
  return () => undefined;
}

import { readdir, readlink } from 'node:fs/promises';
import { sep } from 'node:path';

/**
 * Processes (other than this one) holding a file under `folder` open, found through
 * /proc/PID/fd: a running server keeps its SQLite database and logs open. Processes of other
 * users cannot be looked into and are not found; outside Linux this finds nothing.
 */
export async function processesUsing(folder: string): Promise<number[]> {
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter(
    (name) => /^\d+$/.test(name) && Number(name) !== process.pid,
  );
  const found: number[] = [];
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (target === folder || target.startsWith(`${folder}${sep}`)) {
        found.push(Number(pid));
        break;
      }
    }
  }
  return found;
}

import { Logger } from '@nestjs/common';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const OWNER_FILE_NAME = 'server.pid';

/** Thrown when another live server process already serves this DATA_DIR. */
export class DataDirTaken extends Error {}

/**
 * SQLite is the embedded database of ONE server process: a second one on the same DATA_DIR would
 * keep its own in-memory open deployments and run its own silence timer, and the two would
 * undo each other's work. The first process writes DATA_DIR/server.pid; a second one finding it
 * held by a live process is refused (several instances need PostgreSQL: DATABASE_URL). The
 * file names a process id rather than holding an OS lock, so a server restarted right after a
 * crash (kill -9, power cut) takes the stale file over at once; an mtime-based lock file (as
 * proper-lockfile keeps) would make that restart wait out its staleness delay.
 *
 * Returns the release, to call when the server closes.
 */
export function claimSqliteDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, OWNER_FILE_NAME);
  const mine = `${process.pid} ${hostname()}`;
  const draft = `${file}.${process.pid}.new`;
  writeFileSync(draft, mine);
  try {
    for (;;) {
      try {
        // link fails if the name exists: of two processes starting together, one gets it.
        linkSync(draft, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const held = readOwner(file);
      if (held && isAlive(held)) {
        throw new DataDirTaken(
          `Another server process (pid ${held.pid} on ${held.host}) already uses the SQLite database in ${dataDir}. ` +
            'SQLite serves one instance only: stop the other one, give this one another DATA_DIR, or run several ' +
            `instances on PostgreSQL (DATABASE_URL). If no such process runs, delete ${file}.`,
        );
      }
      new Logger('Database').warn(`Taking over ${file} left by a process that is gone (${held?.pid ?? 'unreadable'})`);
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(draft, { force: true });
  }
  return () => {
    if (readOwner(file)?.raw === mine) rmSync(file, { force: true });
  };
}

interface Owner {
  pid: number;
  host: string;
  raw: string;
}

function readOwner(file: string): Owner | undefined {
  try {
    const raw = readFileSync(file, 'utf8').trim();
    const [pid, host] = raw.split(' ');
    return { pid: Number(pid), host: host ?? '', raw };
  } catch {
    return undefined;
  }
}

/**
 * Held by a process that still runs. Another host's process cannot be checked (a DATA_DIR on a
 * shared file system): it counts as alive. A power cut can leave the file empty: stale too. This process's own pid is a leftover of its previous
 * life (a container restarts with the same pid) or of a server closed in this process.
 */
function isAlive({ pid, host }: Owner): boolean {
  // A file a power cut left empty or half-written names nobody.
  if (!host || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  if (host !== hostname()) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A killed process that its parent has not reaped yet still answers kill(pid, 0) but holds
 * nothing: its state in /proc is Z (a supervisor restarting the server at once sees this).
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

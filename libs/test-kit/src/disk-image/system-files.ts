import { copyFileSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where the sample of this machine's own system comes from: programs, libraries and text, what a
 * real root file system holds, so compression and chunking see realistic bytes (random data
 * compresses not at all, zeros perfectly; neither is what an image of Raspberry Pi OS is).
 */
const SOURCES = ['/usr/bin', '/usr/lib/x86_64-linux-gnu', '/usr/share/doc', '/usr/share/perl', '/usr/lib/python3'];
/** Larger files would make a small sample lopsided. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Copies regular files from this machine's /usr into `root` (same paths below it) until `budget`
 * bytes, in a fixed order so two runs on one machine copy the same files. Returns their paths as
 * seen inside the image ("/usr/bin/..."), in that order.
 */
export function copySystemFiles(root: string, budget: number): string[] {
  const copied: string[] = [];
  let total = 0;
  const visit = (dir: string): boolean => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return true; // unreadable or missing: take the next source
    }
    for (const name of names) {
      const path = join(dir, name);
      const stat = lstatSync(path, { throwIfNoEntry: false });
      if (!stat) continue;
      if (stat.isDirectory()) {
        if (!visit(path)) return false;
      } else if (stat.isFile() && stat.size > 0 && stat.size <= MAX_FILE_BYTES) {
        if (total + stat.size > budget) return false;
        mkdirSync(dirname(join(root, path)), { recursive: true });
        copyFileSync(path, join(root, path));
        copied.push(path);
        total += stat.size;
      }
    }
    return true;
  };
  for (const source of SOURCES) if (!visit(source)) break;
  if (total < budget / 2) throw new Error(`only ${total} bytes of system files found for a budget of ${budget}`);
  return copied;
}

import { readdir, readFile } from 'node:fs/promises';

/** The pid of a running dnsmasq whose command line names this configuration file, or null. */
export async function findDnsmasqProcess(configPath: string): Promise<number | null> {
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const [program, ...args] = cmdline.split('\0');
    if (!program?.endsWith('dnsmasq')) continue;
    if (args.some((arg) => arg === configPath || arg.endsWith(`=${configPath}`))) return Number(entry);
  }
  return null;
}

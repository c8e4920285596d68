import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DnsmasqCheck {
  ok: boolean;
  /** dnsmasq's own words ("syntax check OK." or the offending line). */
  output: string;
}

/** Runs `dnsmasq --test` on a configuration text, before it is written or applied. */
export async function checkDnsmasqConfig(text: string, dnsmasq = 'dnsmasq'): Promise<DnsmasqCheck> {
  const dir = await mkdtemp(join(tmpdir(), 'rpi-deploy-dnsmasq-'));
  try {
    const file = join(dir, 'dnsmasq.conf');
    await writeFile(file, text);
    return await new Promise<DnsmasqCheck>((resolve) => {
      execFile(dnsmasq, ['--test', `--conf-file=${file}`], { timeout: 10_000 }, (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`.trim().replaceAll(file, 'dnsmasq.conf');
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          resolve({ ok: false, output: `${dnsmasq} is not installed (Debian: apt install dnsmasq-base)` });
        } else {
          resolve({ ok: !error, output });
        }
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

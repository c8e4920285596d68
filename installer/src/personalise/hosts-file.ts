const OWN_NAME_LINE = /^\s*127\.0\.1\.1\s/;

/**
 * /etc/hosts with `127.0.1.1 <hostname>` (Debian's line for the machine's own name): replaces the
 * master's line (and drops duplicates of it), or adds one when the master had none. Everything
 * else stays as it was.
 */
export function hostsWithHostname(hosts: string, hostname: string): string {
  const line = `127.0.1.1\t${hostname}`;
  const result: string[] = [];
  let replaced = false;
  for (const entry of hosts.split('\n')) {
    if (!OWN_NAME_LINE.test(entry)) result.push(entry);
    else if (!replaced) {
      result.push(line);
      replaced = true;
    }
  }
  if (replaced) return result.join('\n');
  if (result.at(-1) === '') result.pop();
  return [...result, line, ''].join('\n');
}

import { ProxmoxError, ProxmoxTaskError } from './proxmox-errors';
import type { ProxmoxTransport } from './proxmox-transport';

export interface TaskStatus {
  status: 'running' | 'stopped';
  /** "OK", "WARNINGS: n", or the error text; only once stopped. */
  exitstatus?: string;
  type?: string;
  id?: string;
}

export interface TaskWaitOptions {
  /** Between two status polls. */
  pollMs?: number;
  /** Give up after this long (the task keeps running on Proxmox). */
  timeoutMs?: number;
}

/** Lines of the task log quoted in a failure (the end is what explains it). */
const LOG_LINES_QUOTED = 30;

function taskPath(node: string, upid: string): string {
  return `/nodes/${encodeURIComponent(node)}/tasks/${encodeURIComponent(upid)}`;
}

/** The log of a task (UPID), its first 1000 lines. */
export async function readTaskLog(transport: ProxmoxTransport, node: string, upid: string): Promise<string[]> {
  const lines = await transport.request<Array<{ n: number; t: string }> | null>('GET', `${taskPath(node, upid)}/log`, {
    start: 0,
    limit: 1000,
  });
  return (lines ?? []).map((line) => line.t);
}

/**
 * Follows a task (UPID) until Proxmox reports it stopped. A task that ends with anything but
 * OK (or mere warnings) becomes a ProxmoxTaskError carrying its exit status and log.
 */
export async function waitForTask(
  transport: ProxmoxTransport,
  node: string,
  upid: string,
  options: TaskWaitOptions = {},
): Promise<TaskStatus> {
  const pollMs = options.pollMs ?? 1000;
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  const statusPath = `${taskPath(node, upid)}/status`;
  for (;;) {
    const status = await transport.request<TaskStatus>('GET', statusPath);
    if (status.status === 'stopped') {
      const exit = status.exitstatus ?? '';
      if (exit === 'OK' || exit.startsWith('WARNINGS')) return status;
      const log = await readTaskLog(transport, node, upid).catch(() => [] as string[]);
      const quoted = log.slice(-LOG_LINES_QUOTED).map((line) => `  ${line}`);
      throw new ProxmoxTaskError(
        `Proxmox task ${describeTask(upid, status)} failed: ${exit || 'no exit status'}` +
          (quoted.length ? `\nTask log (${upid}):\n${quoted.join('\n')}` : ''),
        upid,
        exit,
        log,
      );
    }
    if (Date.now() >= deadline) {
      throw new ProxmoxError(`Proxmox task ${upid} still runs after the time allowed; follow it in the Proxmox UI`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** "qmcreate of VM 100" from the task's type and id (falls back to the UPID's own fields). */
function describeTask(upid: string, status: TaskStatus): string {
  const fields = upid.split(':');
  const type = status.type ?? fields[5];
  const id = status.id ?? fields[6];
  return type ? `${type}${id ? ` of ${id}` : ''}` : upid;
}

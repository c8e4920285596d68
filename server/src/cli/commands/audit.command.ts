import { Command, Option } from 'commander';
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES, type AuditPage } from '@rpi-deploy/contracts';
import type { ContextFactory } from '../context';
import { printRows } from '../output';

export function auditCommand(context: ContextFactory): Command {
  const audit = new Command('audit').description('who changed what on the server (admins only)');

  audit
    .command('list')
    .description('audit entries, newest first')
    .option('--actor <user>', 'only what this user did')
    .addOption(new Option('--action <action>', 'only this action').choices([...AUDIT_ACTIONS]))
    .addOption(new Option('--target-type <type>', 'only targets of this kind').choices([...AUDIT_TARGET_TYPES]))
    .option('--target <text>', 'only targets whose id contains this text')
    .option('--from <date>', 'at or after (YYYY-MM-DD or ISO time)')
    .option('--to <date>', 'before (YYYY-MM-DD or ISO time)')
    .option('--page <n>', 'page number', '1')
    .option('--page-size <n>', 'rows per page', '50')
    .action(async (options: Record<string, string | undefined>, command: Command) => {
      const { api, output, json } = context(command);
      const query = new URLSearchParams();
      for (const key of ['actor', 'action', 'targetType', 'target', 'from', 'to', 'page', 'pageSize'] as const) {
        if (options[key]) query.set(key, options[key]!);
      }
      const page = await api.get<AuditPage>(`/api/audit?${query.toString()}`);
      printRows(
        output,
        page.items,
        [
          ['at', (e) => e.at],
          ['actor', (e) => e.actor],
          ['ip', (e) => e.ip],
          ['action', (e) => e.action],
          ['target', (e) => (e.targetType ? `${e.targetType} ${e.targetId ?? ''}`.trim() : '')],
          ['change', (e) => changeSummary(e.before, e.after)],
        ],
        json,
      );
      if (!json) output.out(`${page.items.length} of ${page.total}`);
    });

  return audit;
}

/** The fields that differ between two recorded states, as `field: old → new`, one line each. */
export function changeSummary(before: unknown, after: unknown): string {
  const isRecord = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  const text = (value: unknown) => (value === undefined ? '-' : JSON.stringify(value));
  if (!isRecord(before) || !isRecord(after)) {
    if (before === null && after === null) return '';
    return before === null ? 'created' : after === null ? 'removed' : `${text(before)} → ${text(after)}`;
  }
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((key) => text(before[key]) !== text(after[key]))
    .map((key) => `${key}: ${text(before[key])} → ${text(after[key])}`)
    .join('\n');
}

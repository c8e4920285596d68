import { Command, Option } from 'commander';
import { writeFile } from 'node:fs/promises';
import {
  DEPLOYMENT_STATUSES,
  formatBytes,
  PRODUCT_CODES,
  type DeploymentDetailDto,
  type DeploymentPage,
  type DeploymentStats,
  type OutcomeCounts,
} from '@rpi-deploy/contracts';
import { CliError } from '../api-client';
import type { ContextFactory } from '../context';
import { printRows } from '../output';

const FILTERS = ['status', 'venue', 'product', 'from', 'to'] as const;

/** The history filters, shared by list and export. */
function withFilters(command: Command): Command {
  return command
    .addOption(new Option('--status <status>', 'only this status').choices([...DEPLOYMENT_STATUSES]))
    .option('--venue <code>', 'only this venue')
    .addOption(new Option('--product <code>', 'only this product').choices([...PRODUCT_CODES]))
    .option('--from <date>', 'started on or after (YYYY-MM-DD or ISO time)')
    .option('--to <date>', 'started before (YYYY-MM-DD or ISO time)');
}

function filterQuery(options: Record<string, string | undefined>): URLSearchParams {
  const query = new URLSearchParams();
  for (const key of FILTERS) if (options[key]) query.set(key, options[key]!);
  return query;
}

export function deploymentsCommand(context: ContextFactory): Command {
  const deployments = new Command('deployments').description('deployment history');

  withFilters(deployments.command('list'))
    .description('deployments, newest first')
    .option('--page <n>', 'page number', '1')
    .option('--page-size <n>', 'rows per page', '50')
    .action(async (options: Record<string, string | undefined>, command: Command) => {
      const { api, output, json } = context(command);
      const query = filterQuery(options);
      if (options['page']) query.set('page', options['page']);
      query.set('pageSize', options['pageSize'] ?? '50');
      const page = await api.get<DeploymentPage>(`/api/deployments?${query.toString()}`);
      printRows(
        output,
        page.items,
        [
          ['started', (d) => d.startedAt],
          ['hostname', (d) => d.hostname],
          ['serial', (d) => d.serial],
          ['status', (d) => d.status],
          ['progress', (d) => `${d.progress}%`],
          ['image', (d) => `${d.product} ${d.imageVersion}`],
          ['error', (d) => d.error],
        ],
        json,
      );
      if (!json) output.out(`${page.items.length} of ${page.total}`);
    });

  deployments
    .command('show')
    .description('one deployment with its timeline of reports')
    .argument('<id>', 'deployment id (a UUID, from deployments list --json)')
    .action(async (id: string, _options: object, command: Command) => {
      const { api, output, json } = context(command);
      const shown = await api.get<DeploymentDetailDto>(`/api/deployments/${encodeURIComponent(id)}`);
      if (json) {
        output.out(JSON.stringify(shown, null, 2));
        return;
      }
      output.out(
        `${shown.hostname} (${shown.serial}, ${shown.mac}): ${shown.status} ${shown.progress}%, ` +
          `${shown.product} ${shown.imageVersion}, started ${shown.startedAt}` +
          (shown.error ? `\nerror: ${shown.error}` : ''),
      );
      printRows(
        output,
        shown.events,
        [
          ['at', (e) => e.at],
          ['status', (e) => e.status],
          ['progress', (e) => (e.progress === null ? '' : `${e.progress}%`)],
          [
            'bytes',
            (e) => (e.bytesDone === null ? '' : `${formatBytes(e.bytesDone)} of ${formatBytes(e.bytesTotal ?? 0)}`),
          ],
          ['message', (e) => e.error ?? e.message],
        ],
        false,
      );
    });

  deployments
    .command('stats')
    .description('counts today / 7 / 30 days, success rate, medians, per venue and product')
    .action(async (_options: object, command: Command) => {
      const { api, output, json } = context(command);
      const stats = await api.get<DeploymentStats>('/api/deployments/stats');
      if (json) {
        output.out(JSON.stringify(stats, null, 2));
        return;
      }
      const counts = (c: OutcomeCounts) => `${c.total} (${c.success} ok, ${c.failed} failed, ${c.inProgress} running)`;
      output.out(
        [
          `today         ${counts(stats.today)}`,
          `last 7 days   ${counts(stats.last7Days)}`,
          `last 30 days  ${counts(stats.last30Days)}`,
          `success rate  ${stats.successRate === null ? '-' : `${(stats.successRate * 100).toFixed(1)}%`}`,
          `median time   ${stats.medianDurationSeconds === null ? '-' : `${Math.round(stats.medianDurationSeconds)} s`}`,
          `median speed  ${stats.medianThroughputBps === null ? '-' : `${formatBytes(stats.medianThroughputBps)}/s`}`,
        ].join('\n'),
      );
      printRows(
        output,
        [
          ...stats.perVenue.map((v) => ({ ...v, by: `venue ${v.venue}` })),
          ...stats.perProduct.map((p) => ({ ...p, by: `product ${p.product}` })),
        ],
        [
          ['30 days by', (r) => r.by],
          ['total', (r) => r.total],
          ['ok', (r) => r.success],
          ['failed', (r) => r.failed],
          ['running', (r) => r.inProgress],
        ],
        false,
      );
    });

  withFilters(deployments.command('export'))
    .description('the filtered history as CSV (as the dashboard exports it)')
    .option('--out <file>', 'write to this file instead of standard output')
    .addHelpText(
      'after',
      '\nExample:\n  rpi-deploy deployments export --venue CORO --from 2026-01-01 --out coro-2026.csv',
    )
    .action(async (options: Record<string, string | undefined>, command: Command) => {
      const { api, output } = context(command);
      const csv = await api.getText(`/api/deployments/export.csv?${filterQuery(options).toString()}`);
      if (!options['out']) {
        output.out(csv);
        return;
      }
      try {
        await writeFile(options['out'], csv);
      } catch (error) {
        throw new CliError(`Cannot write ${options['out']}: ${(error as Error).message}`);
      }
      output.err(`Wrote ${csv.trimEnd().split('\n').length - 1} deployment(s) to ${options['out']}`);
    });

  return deployments;
}

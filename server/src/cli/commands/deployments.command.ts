import { Command, Option } from 'commander';
import { DEPLOYMENT_STATUSES, PRODUCT_CODES, type DeploymentPage } from '@rpi-deploy/contracts';
import type { ContextFactory } from '../context';
import { printRows } from '../output';

export function deploymentsCommand(context: ContextFactory): Command {
  const deployments = new Command('deployments').description('deployment history');

  deployments
    .command('list')
    .description('deployments, newest first')
    .addOption(new Option('--status <status>', 'only this status').choices([...DEPLOYMENT_STATUSES]))
    .option('--venue <code>', 'only this venue')
    .addOption(new Option('--product <code>', 'only this product').choices([...PRODUCT_CODES]))
    .option('--from <date>', 'started on or after (YYYY-MM-DD or ISO time)')
    .option('--to <date>', 'started before (YYYY-MM-DD or ISO time)')
    .option('--page <n>', 'page number', '1')
    .option('--page-size <n>', 'rows per page', '50')
    .action(async (options: Record<string, string | undefined>, command: Command) => {
      const { api, output, json } = context(command);
      const query = new URLSearchParams();
      for (const key of ['status', 'venue', 'product', 'from', 'to', 'page'] as const) {
        if (options[key]) query.set(key, options[key]!);
      }
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

  return deployments;
}

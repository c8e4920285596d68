import { Command, Option } from 'commander';
import { HOSTNAME_STATUSES, PRODUCT_CODES, type HostnameDto } from '@rpi-deploy/contracts';
import type { ContextFactory } from '../context';
import { printRows } from '../output';

/** `rpi-deploy hostname ...`: the hostname table and the dashboard's release and retire buttons. */
export function hostnameCommand(context: ContextFactory): Command {
  const hostname = new Command('hostname')
    .description('hostnames: list, release (back to the pool), retire (never handed out again)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  rpi-deploy hostname list --venue CORO --status assigned\n' +
        '  rpi-deploy hostname release KXP2-CORO-007   # the kart got a new Pi: its name may be handed out again\n' +
        '  rpi-deploy hostname retire KXP2-CORO-013    # the kart is gone',
    );

  hostname
    .command('list')
    .description('hostnames with their device')
    .option('--venue <code>', 'only this venue')
    .addOption(new Option('--product <code>', 'only this product').choices([...PRODUCT_CODES]))
    .addOption(new Option('--status <status>', 'only this status').choices([...HOSTNAME_STATUSES]))
    .action(async (options: Record<string, string | undefined>, command: Command) => {
      const { api, output, json } = context(command);
      const query = new URLSearchParams();
      for (const key of ['venue', 'product', 'status'] as const) if (options[key]) query.set(key, options[key]!);
      printRows(
        output,
        await api.get<HostnameDto[]>(`/api/hostnames?${query.toString()}`),
        [
          ['hostname', (h) => h.hostname],
          ['status', (h) => h.status],
          ['serial', (h) => h.deviceSerial],
          ['mac', (h) => h.deviceMac],
          ['assigned', (h) => h.assignedAt],
        ],
        json,
      );
    });

  for (const [action, summary, result] of [
    ['release', 'free a hostname: back to available, its device forgotten', 'is available again'],
    ['retire', 'retire a hostname: it is never handed out again', 'is retired'],
  ] as const) {
    hostname
      .command(action)
      .description(summary)
      .argument('<hostname>', 'e.g. KXP2-CORO-007')
      .action(async (name: string, _options: object, command: Command) => {
        const { api, output, json } = context(command);
        const changed = await api.post<HostnameDto>(`/api/hostnames/${encodeURIComponent(name)}/${action}`);
        output.out(json ? JSON.stringify(changed, null, 2) : `${changed.hostname} ${result}`);
      });
  }

  return hostname;
}

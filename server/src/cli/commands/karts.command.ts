import { Command, InvalidArgumentError } from 'commander';
import type {
  HostnameDto,
  HostnameQuery,
  HostnameStatus,
  KartImportRequest,
  KartImportResult,
} from '@rpi-deploy/contracts';
import type { ContextFactory } from '../context';
import { printRows } from '../output';

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

export function kartsCommand(context: ContextFactory): Command {
  const karts = new Command('karts').description("a venue's KXP2 kart-number pool");

  karts
    .command('import')
    .description('add kart numbers to the pool: a range (--from/--to) or a list (--numbers)')
    .argument('<venue>', 'venue code')
    .option('--from <n>', 'first number of the range', wholeNumber)
    .option('--to <n>', 'last number of the range', wholeNumber)
    .option('--numbers <list>', 'comma-separated numbers, e.g. 001,002,17')
    .action(async (venue: string, options: { from?: number; to?: number; numbers?: string }, command: Command) => {
      const { api, output, json } = context(command);
      const body: KartImportRequest | Record<string, unknown> = options.numbers
        ? {
            numbers: options.numbers
              .split(',')
              .map((n) => n.trim())
              .filter(Boolean),
            from: options.from,
            to: options.to,
          }
        : { from: options.from, to: options.to };
      const result = await api.post<KartImportResult>(`/api/venues/${encodeURIComponent(venue)}/karts`, body);
      output.out(
        json
          ? JSON.stringify(result)
          : `Added ${result.added} kart number(s) to ${venue.toUpperCase()}, skipped ${result.skipped}`,
      );
    });

  karts
    .command('list')
    .description("show a venue's kart numbers and which unit holds each")
    .argument('<venue>', 'venue code')
    .option('--status <status>', 'available, assigned or retired')
    .action(async (venue: string, options: { status?: string }, command: Command) => {
      const { api, output, json } = context(command);
      const filter: HostnameQuery = { venue, product: 'KXP2', status: options.status as HostnameStatus | undefined };
      const query = new URLSearchParams(
        Object.entries(filter).filter((entry): entry is [string, string] => !!entry[1]),
      );
      printRows(
        output,
        await api.get<HostnameDto[]>(`/api/hostnames?${query}`),
        [
          ['hostname', (h) => h.hostname],
          ['status', (h) => h.status],
          ['serial', (h) => h.deviceSerial],
          ['MAC', (h) => h.deviceMac],
          ['assigned at', (h) => h.assignedAt],
        ],
        json,
      );
    });

  return karts;
}

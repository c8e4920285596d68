import { Command, InvalidArgumentError, Option } from 'commander';
import { BATCH_ACTIONS, PRODUCT_CODES, type BatchDto, type CreateBatchRequest } from '@rpi-deploy/contracts';
import type { ContextFactory } from '../context';
import { printRows } from '../output';

function integer(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

const BATCH_COLUMNS: Array<[string, (b: BatchDto) => unknown]> = [
  ['id', (b) => b.id],
  ['venue', (b) => b.venue],
  ['product', (b) => b.product],
  ['progress', (b) => `${b.assigned}/${b.count}`],
  ['priority', (b) => b.priority],
  ['status', (b) => b.status],
  ['created', (b) => b.createdAt],
];

export function batchCommand(context: ContextFactory): Command {
  const batch = new Command('batch').description('deployment batches: N units of one product for one venue');

  batch
    .command('create')
    .description('create a batch (pending until started)')
    .requiredOption('--venue <code>', 'venue code')
    .addOption(new Option('--product <code>', 'product').choices(PRODUCT_CODES).makeOptionMandatory())
    .requiredOption('--count <n>', 'number of units', integer)
    .option('--priority <n>', 'the active batch with the highest priority leads (default 0)', integer)
    .action(async (options: CreateBatchRequest, command: Command) => {
      const { api, output, json } = context(command);
      const created = await api.post<BatchDto>('/api/batches', {
        venue: options.venue,
        product: options.product,
        count: options.count,
        priority: options.priority,
      });
      output.out(
        json
          ? JSON.stringify(created, null, 2)
          : `Created batch ${created.id}: ${created.count} x ${created.product} for ${created.venue} (pending; start it with: rpi-deploy batch start ${created.id})`,
      );
    });

  batch
    .command('list')
    .description('list batches, newest first')
    .action(async (_options: object, command: Command) => {
      const { api, output, json } = context(command);
      printRows(output, await api.get<BatchDto[]>('/api/batches'), BATCH_COLUMNS, json);
    });

  for (const action of BATCH_ACTIONS) {
    batch
      .command(action)
      .description(`${action} a batch`)
      .argument('<id>', 'batch id', integer)
      .action(async (id: number, _options: object, command: Command) => {
        const { api, output, json } = context(command);
        const updated = await api.post<BatchDto>(`/api/batches/${id}/${action}`);
        output.out(json ? JSON.stringify(updated, null, 2) : `Batch ${updated.id} is now ${updated.status}`);
      });
  }

  return batch;
}

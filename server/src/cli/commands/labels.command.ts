import { Command, InvalidArgumentError } from 'commander';
import { writeFile } from 'node:fs/promises';
import { LABEL_COUNT_HEADER, LABEL_SIZE_MM } from '@rpi-deploy/contracts';
import { CliError } from '../api-client';
import type { ContextFactory } from '../context';

function batchId(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a batch id (a whole number)');
  return Number(value);
}

/** `rpi-deploy labels`: the server's labels PDF of a batch or of chosen deployments, into a file. */
export function labelsCommand(context: ContextFactory): Command {
  return new Command('labels')
    .description(
      `unit labels as a PDF, one ${LABEL_SIZE_MM.width} mm x ${LABEL_SIZE_MM.height} mm page per unit ` +
        '(Brother DK-11209): hostname, serial, MAC and a QR code of them',
    )
    .option('--batch <id>', 'every unit handed a hostname through this batch', batchId)
    .option('--deployments <ids>', 'these deployments, ids separated by commas')
    .requiredOption('--out <file>', 'the PDF file to write')
    .addHelpText('after', '\nExample:\n  rpi-deploy labels --batch 3 --out batch-3-labels.pdf')
    .action(async (options: { batch?: number; deployments?: string; out: string }, command: Command) => {
      if ((options.batch === undefined) === (options.deployments === undefined)) {
        throw new CliError('Give either --batch ID or --deployments ID,ID,...');
      }
      const query =
        options.batch !== undefined
          ? `batch=${options.batch}`
          : `deploymentIds=${encodeURIComponent(options.deployments!)}`;
      const { api, output } = context(command);
      const { bytes, headers } = await api.getBytes(`/api/labels.pdf?${query}`);
      try {
        await writeFile(options.out, bytes);
      } catch (error) {
        throw new CliError(`Cannot write ${options.out}: ${(error as Error).message}`);
      }
      output.err(`Wrote ${headers.get(LABEL_COUNT_HEADER)} label(s) to ${options.out}`);
    });
}

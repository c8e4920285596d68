import { Command, InvalidArgumentError } from 'commander';
import { formatBytes, type GeneralisePlanDto, type ImageDto } from '@rpi-deploy/contracts';
import type { ContextFactory } from '../context';
import { printRows } from '../output';

function imageId(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected an image id (a whole number)');
  return Number(value);
}

interface GeneraliseOptions {
  version?: string;
  description?: string;
  clear: string[];
  clearAll: boolean;
}

/**
 * `image generalise ID`: without `--version` it lists what would be cleared; with it, the server
 * stores the generalised copy as that new version.
 */
export function imageGeneraliseCommand(context: ContextFactory): Command {
  return new Command('generalise')
    .description(
      "clear the reference unit's identity (machine-id, SSH host keys, hostname) on a copy stored as a new version; " +
        'without --version, list what would be cleared',
    )
    .argument('<id>', 'image id', imageId)
    .option('--version <version>', 'store the generalised copy as this new version')
    .option('--description <text>', 'description of the new version')
    .option(
      '--clear <path>',
      'also clear this candidate (repeatable)',
      (path: string, all: string[]) => [...all, path],
      [],
    )
    .option('--clear-all', 'also clear every candidate', false)
    .action(async (id: number, options: GeneraliseOptions, command: Command) => {
      const { api, output, json } = context(command);
      const plan = await api.get<GeneralisePlanDto>(`/api/images/${id}/generalise`);
      if (!options.version) {
        if (json) return output.out(JSON.stringify(plan, null, 2));
        output.out(`Always cleared on ${plan.version}:`);
        printRows(
          output,
          plan.always,
          [
            ['PATH', (item) => item.path],
            ['WHAT', (item) => item.what],
          ],
          false,
        );
        output.out('Candidates (--clear PATH or --clear-all):');
        printRows(
          output,
          plan.candidates,
          [
            ['PATH', (c) => c.path],
            ['KIND', (c) => c.kind],
            ['ACTION', (c) => c.action],
            ['SIZE', (c) => formatBytes(c.bytes)],
          ],
          false,
        );
        return;
      }
      const clear = options.clearAll ? plan.candidates.map((candidate) => candidate.path) : options.clear;
      const stored = await api.post<ImageDto>(`/api/images/${id}/generalise`, {
        version: options.version,
        clear,
        ...(options.description !== undefined ? { description: options.description } : {}),
      });
      output.out(
        json
          ? JSON.stringify(stored, null, 2)
          : `${stored.product} ${stored.version} (image ${stored.id}) stored: generalised from ${plan.version}, ` +
              `${clear.length} candidate${clear.length === 1 ? '' : 's'} cleared, ${formatBytes(stored.mappedBytes)} mapped`,
      );
    });
}

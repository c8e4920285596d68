import { Command, InvalidArgumentError, Option } from 'commander';
import { CANARY_MAX_UNITS, PRODUCT_CODES, SERIAL_PATTERN, type CanaryDto } from '@rpi-deploy/contracts';
import type { ContextFactory } from '../context';

function unitCount(value: string): number {
  const units = Number(value);
  if (!/^\d+$/.test(value) || units < 1 || units > CANARY_MAX_UNITS) {
    throw new InvalidArgumentError(`expected a number of units from 1 to ${CANARY_MAX_UNITS}`);
  }
  return units;
}

function serialList(value: string): string[] {
  const serials = value.split(',').map((serial) => serial.trim());
  const bad = serials.find((serial) => !SERIAL_PATTERN.test(serial));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not a serial (8-16 hex digits)`);
  return serials;
}

function describe(canary: CanaryDto): string {
  const who =
    canary.units === null ? `serials ${canary.serials.join(', ')}` : `${canary.assigned} of ${canary.units} units`;
  const { units, installing, installed, booted, failed } = canary.outcome;
  return (
    `${canary.product} canary: ${canary.version} (image ${canary.imageId}) for ${who}, started ${canary.startedAt} by ${canary.startedBy}\n` +
    `  units ${units}: installing ${installing}, installed ${installed}, booted ${booted}, failed ${failed}`
  );
}

/** `image canary start|status|promote|abandon`. */
export function imageCanaryCommand(context: ContextFactory): Command {
  const canary = new Command('canary').description(
    'try a new version on the next N units or named serials, then promote or abandon it',
  );
  const product = () => new Option('--product <code>', 'product').choices(PRODUCT_CODES).makeOptionMandatory();

  canary
    .command('start')
    .description(
      'the next N configs (--units) or the named units (--serials) get this image; the rest keep the active one',
    )
    .argument('<id>', 'image id')
    .option('--units <n>', 'how many of the next units', unitCount)
    .option('--serials <list>', 'comma-separated serials', serialList)
    .action(async (id: string, options: { units?: number; serials?: string[] }, command: Command) => {
      const { api, output, json } = context(command);
      const started = await api.post<CanaryDto>(`/api/images/${encodeURIComponent(id)}/canary`, options);
      output.out(json ? JSON.stringify(started, null, 2) : describe(started));
    });

  canary
    .command('status')
    .description('the running canaries and how their units did')
    .addOption(new Option('--product <code>', 'only this product').choices(PRODUCT_CODES))
    .action(async (options: { product?: string }, command: Command) => {
      const { api, output, json } = context(command);
      const canaries = options.product
        ? [await api.get<CanaryDto>(`/api/images/canaries/${options.product}`)]
        : await api.get<CanaryDto[]>('/api/images/canaries');
      if (json) output.out(JSON.stringify(canaries, null, 2));
      else output.out(canaries.length ? canaries.map(describe).join('\n') : 'No canary is running');
    });

  for (const [verb, done] of [
    ['promote', 'is now active for everyone'],
    ['abandon', 'abandoned: everyone stays on the active version'],
  ] as const) {
    canary
      .command(verb)
      .description(verb === 'promote' ? 'make the canary version active for everyone' : 'end the canary')
      .addOption(product())
      .action(async (options: { product: string }, command: Command) => {
        const { api, output, json } = context(command);
        const ended = await api.post<CanaryDto>(`/api/images/canaries/${options.product}/${verb}`);
        output.out(json ? JSON.stringify(ended, null, 2) : `${ended.product} ${ended.version} ${done}`);
      });
  }
  return canary;
}

import { Command } from 'commander';
import type { CreateVenueRequest, UpdateVenueRequest, VenueDto } from '@rpi-deploy/contracts';
import { CliError } from '../api-client';
import type { ContextFactory } from '../context';
import { printRows } from '../output';

export function venueCommand(context: ContextFactory): Command {
  const venue = new Command('venue').description('venues (race tracks) and their details');

  venue
    .command('create')
    .description('create a venue')
    .argument('<code>', 'exactly 4 letters or digits, e.g. CORO')
    .argument('<name>', 'display name, e.g. "Corona Karting"')
    .option('--location <text>', 'town or address')
    .option('--email <address>', 'contact e-mail')
    .action(async (code: string, name: string, options: { location?: string; email?: string }, command: Command) => {
      const { api, output, json } = context(command);
      const body: CreateVenueRequest = { code, name, location: options.location, contactEmail: options.email };
      const created = await api.post<VenueDto>('/api/venues', body);
      output.out(json ? JSON.stringify(created, null, 2) : `Created venue ${created.code} (${created.name})`);
    });

  venue
    .command('list')
    .description('list venues with their kart pools')
    .action(async (_options: object, command: Command) => {
      const { api, output, json } = context(command);
      printRows(
        output,
        await api.get<VenueDto[]>('/api/venues'),
        [
          ['code', (v) => v.code],
          ['name', (v) => v.name],
          ['location', (v) => v.location],
          ['contact', (v) => v.contactEmail],
          ['karts free', (v) => v.pool.available],
          ['assigned', (v) => v.pool.assigned],
          ['retired', (v) => v.pool.retired],
        ],
        json,
      );
    });

  venue
    .command('update')
    .description("change a venue's name, location or contact (the code stays)")
    .argument('<code>')
    .option('--name <text>', 'display name')
    .option('--location <text>', 'town or address')
    .option('--email <address>', 'contact e-mail')
    .addHelpText(
      'after',
      '\nExample:\n  rpi-deploy venue update CORO --location "Kerpen-Manheim" --email office@example.com',
    )
    .action(async (code: string, options: { name?: string; location?: string; email?: string }, command: Command) => {
      const { api, output, json } = context(command);
      const body: UpdateVenueRequest = { name: options.name, location: options.location, contactEmail: options.email };
      if (Object.values(body).every((value) => value === undefined)) {
        throw new CliError('Nothing to change: give --name, --location and/or --email');
      }
      const updated = await api.patch<VenueDto>(`/api/venues/${encodeURIComponent(code)}`, body);
      output.out(json ? JSON.stringify(updated, null, 2) : `Updated venue ${updated.code} (${updated.name})`);
    });

  venue
    .command('delete')
    .description('delete a venue (refused while it has assigned hostnames or open batches)')
    .argument('<code>')
    .action(async (code: string, _options: object, command: Command) => {
      const { api, output } = context(command);
      await api.delete(`/api/venues/${encodeURIComponent(code)}`);
      output.out(`Deleted venue ${code.toUpperCase()}`);
    });

  return venue;
}

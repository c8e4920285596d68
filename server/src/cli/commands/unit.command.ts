import { Command } from 'commander';
import { UNIT_COMMANDS, type DeploymentPage, type UnitCommandDto } from '@rpi-deploy/contracts';
import { CliError, type ApiClient } from '../api-client';
import type { ContextFactory } from '../context';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SUMMARIES: Record<(typeof UNIT_COMMANDS)[number], string> = {
  identify: 'blink the unit’s LEDs (green and red in turn) for 30 s so it can be found on the bench',
  retry: 'start the install again',
  poweroff: 'switch the unit off',
};

/**
 * `rpi-deploy unit identify|retry|poweroff TARGET`: the dashboard's unit actions. TARGET is a
 * deployment id, or a serial or hostname: then the unit's newest failed deployment.
 */
export function unitCommand(context: ContextFactory): Command {
  const unit = new Command('unit')
    .description('commands for a failed unit that waits for an operator: identify, retry, poweroff')
    .addHelpText(
      'after',
      '\nThe unit receives the command with its next poll (every 2 s) and acknowledges it; the command waits\n' +
        'for that (up to --wait seconds). A unit that is not waiting answers 409.\n' +
        'Examples:\n' +
        '  rpi-deploy unit identify 10000000abc12345\n' +
        '  rpi-deploy unit retry KXP2-CORO-007\n' +
        '  rpi-deploy unit poweroff 0b0e6a52-3f51-4c1e-9a55-6c2b4f3d2e10',
    );
  for (const name of UNIT_COMMANDS) {
    unit
      .command(name)
      .description(SUMMARIES[name])
      .argument('<target>', 'deployment id, serial or hostname')
      .option('--wait <seconds>', 'how long to wait for the unit to acknowledge (0: do not wait)', '15')
      .action(async (target: string, options: { wait: string }, command: Command) => {
        const { api, output, json } = context(command);
        const waitSeconds = Number(options.wait);
        if (!Number.isFinite(waitSeconds) || waitSeconds < 0)
          throw new CliError(`--wait must be a number of seconds >= 0, got "${options.wait}"`);
        const deploymentId = await resolveDeployment(api, target);
        let sent = await api.post<UnitCommandDto>(`/api/deployments/${deploymentId}/commands`, { command: name });
        for (const until = Date.now() + waitSeconds * 1000; sent.state !== 'done' && Date.now() < until;) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          const all = await api.get<UnitCommandDto[]>(`/api/deployments/${deploymentId}/commands`);
          sent = all.find((one) => one.id === sent.id) ?? sent;
        }
        output.out(json ? JSON.stringify(sent, null, 2) : `${name} for deployment ${deploymentId}: ${sent.state}`);
        if (waitSeconds > 0 && sent.state !== 'done')
          throw new CliError(`the unit did not acknowledge within ${waitSeconds} s (the command stays ${sent.state})`);
      });
  }
  return unit;
}

async function resolveDeployment(api: ApiClient, target: string): Promise<string> {
  if (UUID.test(target)) return target.toLowerCase();
  // Newest first: the unit's latest failed deployment is the one that waits.
  const page = await api.get<DeploymentPage>('/api/deployments?status=failed&pageSize=500');
  const wanted = target.toLowerCase();
  const found = page.items.find((item) => item.serial === wanted || item.hostname.toLowerCase() === wanted);
  if (!found) throw new CliError(`no failed deployment of a unit with serial or hostname ${target}`);
  return found.id;
}

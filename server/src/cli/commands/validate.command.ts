import { Command } from 'commander';
import type { PreflightReportDto } from '@rpi-deploy/contracts';
import { CliError } from '../api-client';
import type { ContextFactory } from '../context';

/** `rpi-deploy validate`: the pre-flight checklist, one line per check, exit 1 if any fails. */
export function validateCommand(context: ContextFactory): Command {
  return new Command('validate')
    .description(
      'pre-flight check of the whole server: interfaces, dnsmasq, TFTP root, images, disk, database, ports, clock',
    )
    .action(async (_options: object, command: Command) => {
      const { api, output, json } = context(command);
      let report: PreflightReportDto;
      try {
        report = await api.get<PreflightReportDto>('/api/netboot/preflight');
      } catch (error) {
        output.out(`FAIL  The server answers at ${api.baseUrl}: ${(error as Error).message}`);
        output.out(
          '      fix: systemctl start rpi-deploy (journalctl -u rpi-deploy tells why it stopped), or give --url',
        );
        throw new CliError('1 check failed');
      }
      if (json) {
        output.out(JSON.stringify(report, null, 2));
      } else {
        for (const check of report.checks) {
          output.out(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.title}: ${check.detail}`);
          if (!check.ok && check.fix) output.out(`      fix: ${check.fix}`);
        }
      }
      const failed = report.checks.filter((check) => !check.ok).length;
      if (failed > 0) throw new CliError(`${failed} of ${report.checks.length} checks failed`);
      if (!json) output.out(`All ${report.checks.length} checks passed`);
    });
}

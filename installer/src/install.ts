import { failureClassOf, formatBytes, type ConfigRequest } from '@rpi-deploy/contracts';
import { ConfigUnavailableError, requestConfig } from './download/config-client';
import { readMemoryBytes, readModel } from './identity';
import { InstallError } from './install-error';
import { rebootNow } from './reboot';
import type { InstallerSettings } from './settings';
import { StatusReporter } from './status-reporter';
import { inspectTarget, type TargetDevice } from './card/target-device';
import { describeBytes } from './units';
import { describeFailure, failureCodeOf, waitsForOperator } from './unit/failure-class';
import { Leds } from './unit/leds';
import { waitForOperator } from './unit/operator-wait';
import { runInstallSteps } from './install-steps';
import { PeerSession } from './peers/peer-session';
import { TrackerClient } from './peers/tracker-client';

/**
 * Recently verified chunk frames kept in memory for neighbours (older ones are read back from the
 * card): about a third of a Pi-OS image's frames, and an eighth of the installer's 256 MiB budget.
 */
const PEER_CACHE_BYTES = 32 << 20;

/** Exit codes, as `--help` documents them. */
export const EXIT = {
  success: 0,
  failed: 1,
  badParameters: 2,
  noConfiguration: 3,
  retryRequested: 4,
  poweredOff: 5,
} as const;

/**
 * One unit's install: identity, configuration from the server, the card written, verified and
 * personalised, every phase reported. Resolves to the process exit code.
 */
export async function install(settings: InstallerSettings, log: (line: string) => void): Promise<number> {
  const leds = new Leds(settings.leds, log);
  leds.show({ kind: 'working' });
  const model = await readModel();
  const memory = await readMemoryBytes();
  // A missing card is reported as this deployment's failure, so the server must be asked first.
  const card: TargetDevice | Error = await inspectTarget(settings.device).catch((error: Error) => error);
  const unit = `${model ?? 'unknown model'}, ${memory ? `${formatBytes(memory)} RAM` : 'RAM unknown'}`;
  const cardText = card instanceof Error ? card.message : `card ${card.path}, ${describeBytes(card.sizeBytes)}`;
  log(`unit ${settings.serial} (${settings.mac}): ${unit}; ${cardText}`);

  const request: ConfigRequest = {
    serial: settings.serial,
    mac: settings.mac,
    product: settings.product,
    venue: settings.venue,
    model,
    storageBytes: card instanceof Error ? undefined : card.sizeBytes,
  };
  let config;
  try {
    config = await requestConfig(settings.server, request, {
      waitMs: settings.configWaitMs,
      retryDelayMs: settings.retryDelayMs,
      log,
    });
  } catch (error) {
    if (!(error instanceof ConfigUnavailableError)) throw error;
    log(`failed: ${error.message}; nothing was written`);
    leds.show({ kind: 'failure', code: error.code });
    return EXIT.noConfiguration;
  }
  log(
    `deployment ${config.deploymentId}: this unit becomes ${config.hostname} (${config.product}, venue ${config.venue})`,
  );

  const reporter = new StatusReporter(settings.server, config.deploymentId, config.statusToken, {
    retryDelayMs: settings.retryDelayMs,
    log,
  });
  reporter.report({ status: 'starting', progress: 0, message: `${unit}; ${cardText}` });
  const peers =
    settings.peerListen && !(card instanceof Error)
      ? await PeerSession.start(
          settings.server,
          new TrackerClient(settings.server, config.deploymentId, config.statusToken),
          { listenHost: settings.peerListen.host, listenPort: settings.peerListen.port, cacheBytes: PEER_CACHE_BYTES },
          log,
        )
      : undefined;
  try {
    if (card instanceof Error) throw card;
    const { summary, transfer } = await runInstallSteps(card, config, settings, reporter, log, peers);
    reporter.report({ status: 'success', progress: 100, message: summary, transfer });
    await reporter.flush();
    leds.show({ kind: 'success' });
    log(`success: ${summary}`);
    await peers?.seed(settings.seedSeconds);
  } catch (error) {
    await peers?.close();
    const unexpected = !(error instanceof InstallError);
    const message = unexpected ? `unexpected error: ${(error as Error)?.message ?? error}` : error.message;
    const failureCode = failureCodeOf(error);
    log(`failed: ${unexpected ? ((error as Error)?.stack ?? message) : message}`);
    log(`failure class: ${describeFailure(failureCode)}`);
    leds.show({ kind: 'failure', code: failureCode });
    reporter.report({ status: 'failed', error: message, failureCode });
    await reporter.flush();
    if (!waitsForOperator(settings.waitForOperator, failureClassOf(failureCode))) return EXIT.failed;
    const { deploymentId, statusToken } = config;
    const asked = await waitForOperator({
      server: settings.server,
      deploymentId,
      statusToken,
      leds,
      poweroffCommand: settings.poweroffCommand,
      log,
    });
    return asked === 'retry' ? EXIT.retryRequested : EXIT.poweredOff;
  }
  await peers?.close();
  if (settings.reboot) await rebootNow(log);
  return EXIT.success;
}

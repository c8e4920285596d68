import { UNIT_POLL_SECONDS, type UnitPollAnswer, type UnitPollRequest } from '@rpi-deploy/contracts';
import { errorMessage, postJson } from '../download/http-client';
import { runProgram } from '../run-program';
import type { Leds } from './leds';

export interface OperatorWait {
  server: string;
  deploymentId: string;
  statusToken: string;
  leds: Leds;
  /** The program that switches the unit off (`poweroff -f` in the initramfs); tests point it elsewhere. */
  poweroffCommand: string[];
  pollMs?: number;
  log: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

const REQUEST_TIMEOUT_MS = 5_000;
/** A server that stays away is mentioned once a minute, not every poll. */
const QUIET_POLLS = 30;

/**
 * A failed unit that stopped: it polls `POST /api/commands` every few seconds with its
 * deployment's token, carries out what an operator queued and acknowledges it in the next poll
 * (identify: blink for 30 s and go on waiting; retry: acknowledge at once and return, so the
 * caller starts again; poweroff: acknowledge at once, then run the power-off program). Waits until
 * retry or power-off, for ever otherwise: the unit stays powered and keeps showing its code.
 */
export async function waitForOperator(options: OperatorWait): Promise<'retry' | 'poweroff'> {
  const { server, deploymentId, statusToken, leds, log } = options;
  const pollMs = options.pollMs ?? UNIT_POLL_SECONDS * 1000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let done: number[] = [];
  let failedPolls = 0;
  const poll = async (): Promise<UnitPollAnswer | undefined> => {
    const body: UnitPollRequest = { deploymentId, ...(done.length > 0 ? { done } : {}) };
    try {
      const response = await postJson(`${server}/api/commands`, body, {
        headers: { authorization: `Bearer ${statusToken}` },
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
      if (response.status === 200) {
        failedPolls = 0;
        done = [];
        return JSON.parse(response.body.toString('utf8')) as UnitPollAnswer;
      }
      if (failedPolls++ % QUIET_POLLS === 0)
        log(`waiting for an operator: the server answered ${response.status} (${errorMessage(response)})`);
    } catch (error) {
      if (failedPolls++ % QUIET_POLLS === 0)
        log(`waiting for an operator: server unreachable (${(error as Error).message})`);
    }
    return undefined;
  };

  log(`waiting for an operator (identify, retry or power off from the dashboard); polling every ${pollMs / 1000} s`);
  for (;;) {
    const answer = await poll();
    for (const { id, command } of answer?.commands ?? []) {
      log(`operator command ${id}: ${command}`);
      done.push(id);
      if (command === 'identify') {
        leds.identify();
        continue;
      }
      // Acknowledged before acting: after a power-off, or once the install starts again, no poll follows.
      await poll();
      if (command === 'poweroff') {
        await leds.stop();
        log(`powering off (${options.poweroffCommand.join(' ')})`);
        await runProgram(options.poweroffCommand[0], options.poweroffCommand.slice(1)).catch((error: Error) =>
          log(`power-off failed: ${error.message}`),
        );
      }
      return command;
    }
    await sleep(pollMs);
  }
}

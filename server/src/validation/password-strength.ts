import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { PASSWORD_MIN_LENGTH, PASSWORD_MIN_SCORE, PASSWORD_RULE } from '@rpi-deploy/contracts';

const estimator = new ZxcvbnFactory({
  dictionary,
  graphs: adjacencyGraphs,
  // Rating costs grow fast with length (about 1 s of CPU for 256 characters); 64 rated characters
  // cost under 0.1 s and any password that long is already strong or refused on its start.
  maxLength: 64,
});

/** Why `password` is not allowed as a new password (PASSWORD_RULE), or undefined when it is. */
export function passwordWeakness(password: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH || estimator.check(password).score < PASSWORD_MIN_SCORE) {
    return `is too weak: use ${PASSWORD_RULE}`;
  }
  return undefined;
}

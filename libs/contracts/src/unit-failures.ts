/**
 * Why a unit failed, as the installer classifies it, and how the unit says so on its LEDs.
 * `transient` failures (network, a busy server) are retried with backoff up to a limit;
 * `permanent` ones (the card, the image) stop: the unit stays powered, blinks its code and waits
 * for an operator (identify, retry, power off).
 */
export const FAILURE_CLASSES = ['transient', 'permanent'] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

export interface FailureCodeInfo {
  failureClass: FailureClass;
  /** Red (PWR) blinks in one round of the failure pattern: what staff count on the bench. */
  blinks: number;
  /** A few words for the dashboard and the printed card. */
  title: string;
  /** What to do about it. */
  action: string;
}

/** Every failure code; the keys are stable (stored with the deployment, shown on the dashboard). */
export const FAILURE_CODES = {
  network: {
    failureClass: 'transient',
    blinks: 2,
    title: 'Network or server unreachable',
    action: 'Check the Ethernet cable and the deployment switch; the unit retries by itself.',
  },
  server_busy: {
    failureClass: 'transient',
    blinks: 3,
    title: 'Server busy or not ready',
    action: 'Check that a batch and an image are active; the unit retries by itself.',
  },
  card_missing: {
    failureClass: 'permanent',
    blinks: 4,
    title: 'No SD card',
    action: 'Insert a card, then Retry from the dashboard.',
  },
  card_too_small: {
    failureClass: 'permanent',
    blinks: 5,
    title: 'SD card too small',
    action: 'Fit a larger card, then Retry.',
  },
  card_faulty: {
    failureClass: 'permanent',
    blinks: 6,
    title: 'SD card faulty',
    action: 'The card could not be written or read back correctly: replace it, then Retry.',
  },
  image_corrupt: {
    failureClass: 'permanent',
    blinks: 7,
    title: 'Image corrupt',
    action: 'The image failed its checksum: upload it again, then Retry.',
  },
  personalise_failed: {
    failureClass: 'permanent',
    blinks: 8,
    title: 'Personalisation failed',
    action: 'Read the error on the deployment page; Retry once the cause is fixed.',
  },
  unknown: {
    failureClass: 'permanent',
    blinks: 9,
    title: 'Unexpected failure',
    action: 'Read the error on the deployment page and the serial console, then Retry.',
  },
} as const satisfies Record<string, FailureCodeInfo>;
export type FailureCode = keyof typeof FAILURE_CODES;
export const FAILURE_CODE_NAMES = Object.keys(FAILURE_CODES) as FailureCode[];

export function failureClassOf(code: FailureCode): FailureClass {
  return FAILURE_CODES[code].failureClass;
}

/**
 * The LED patterns, as steps of (ACT green, PWR red, milliseconds) repeated while the state
 * lasts. The installer drives them; the dashboard prints them on the LED codes card.
 */
export interface LedStep {
  act: boolean;
  pwr: boolean;
  ms: number;
}

export const LED_BLINK_MS = 300;
export const LED_ROUND_PAUSE_MS = 1500;
export const IDENTIFY_SECONDS = 30;

export const LED_PATTERNS = {
  /** Installing: green heartbeat, red off. */
  working: [
    { act: true, pwr: false, ms: 150 },
    { act: false, pwr: false, ms: 150 },
    { act: true, pwr: false, ms: 150 },
    { act: false, pwr: false, ms: 750 },
  ],
  /** Written, verified, personalised: green steady. */
  success: [{ act: true, pwr: false, ms: 1000 }],
  /** Identify (operator asked): green and red alternating fast for IDENTIFY_SECONDS. */
  identify: [
    { act: true, pwr: false, ms: 100 },
    { act: false, pwr: true, ms: 100 },
  ],
} as const satisfies Record<string, readonly LedStep[]>;

export const LED_STATE_DESCRIPTIONS = {
  working: 'Green double blink, red off: installing',
  success: 'Green steady: installed, rebooting into the product',
  identify: 'Green and red alternating fast (30 s): an operator asked to identify this unit',
  failure: 'Green off, red blinks N times, pause, repeat: failed, N is the failure code below',
} as const;

/** The failure pattern: the code's number of red blinks, then a pause, green off. */
export function failurePattern(code: FailureCode): LedStep[] {
  const steps: LedStep[] = [];
  for (let blink = 0; blink < FAILURE_CODES[code].blinks; blink += 1) {
    steps.push({ act: false, pwr: true, ms: LED_BLINK_MS }, { act: false, pwr: false, ms: LED_BLINK_MS });
  }
  steps.push({ act: false, pwr: false, ms: LED_ROUND_PAUSE_MS });
  return steps;
}

/**
 * What an operator can ask of a failed unit that waits: blink to be found, start again, or
 * switch off. Queued by the server and delivered in the answer to the unit's next poll.
 */
export const UNIT_COMMANDS = ['identify', 'retry', 'poweroff'] as const;
export type UnitCommandName = (typeof UNIT_COMMANDS)[number];

/** queued → delivered (the unit received it) → done (the unit acknowledged it). */
export const UNIT_COMMAND_STATES = ['queued', 'delivered', 'done'] as const;
export type UnitCommandState = (typeof UNIT_COMMAND_STATES)[number];

export interface UnitCommandDto {
  id: number;
  deploymentId: string;
  command: UnitCommandName;
  state: UnitCommandState;
  requestedBy: string;
  requestedAt: string;
  deliveredAt: string | null;
  doneAt: string | null;
}

/** `POST /api/deployments/:id/commands` (management listener). */
export interface UnitCommandRequest {
  command: UnitCommandName;
}

/**
 * `POST /api/commands` (deployment listener, `Authorization: Bearer <statusToken>`): a failed
 * unit waiting for an operator polls every few seconds; `done` acknowledges commands it carried out.
 */
export interface UnitPollRequest {
  deploymentId: string;
  done?: number[];
}

export interface UnitPollAnswer {
  commands: Array<{ id: number; command: UnitCommandName }>;
}

/** How often a waiting unit polls, and how long after its last poll the server still calls it waiting. */
export const UNIT_POLL_SECONDS = 2;
export const UNIT_WAITING_GRACE_SECONDS = 15;

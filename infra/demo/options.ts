import { Command, InvalidArgumentError } from 'commander';

export interface DemoOptions {
  units: number;
  /** Per-unit link speed in MB/s (10^6 bytes). */
  speed: number;
  failRate: number;
  flakyRate: number;
  /** Seconds between two units powering on. */
  stagger: number;
  imageMib: number;
  dataMib: number;
  host: string;
  mgmtPort: number;
  deployPort: number;
  keep: boolean;
  exitWhenDone: boolean;
}

const DESCRIPTION = [
  'Starts the rpi-deploy server with a fresh temporary data folder, creates a venue (DEMO) with its kart pool,',
  'a generated Raspberry-Pi-OS-shaped KXP2 image (uploaded and activated) and a started batch, then powers on a',
  'simulated fleet: each unit runs the real installer bundle (dist/installer/pi-installer.js) against a file',
  'standing for its SD card, through its own throttled link, so the dashboard shows every unit move. A few units',
  'fail on purpose (a card that is too small, a corrupted download) and some lose their link once and resume.',
  'The server keeps running after the fleet is done, until Ctrl-C.',
].join(' ');

export function parseOptions(argv: string[]): DemoOptions {
  const program = new Command('npm run demo --')
    .description(DESCRIPTION)
    .option('--units <n>', 'simulated units', count(1, 999), 12)
    .option('--speed <MB/s>', 'download speed of each unit (varies by +-20% between units)', positive, 1.5)
    .option('--fail-rate <0-1>', 'share of units that fail on purpose', share, 0.2)
    .option('--flaky-rate <0-1>', 'share of units whose link drops once mid-download (they resume)', share, 0.15)
    .option('--stagger <seconds>', 'time between two units powering on', nonNegative, 4)
    .option('--image-mib <MiB>', 'size of the generated image', count(68, 65536), 512)
    .option('--data-mib <MiB>', 'random data in the image: roughly what each unit downloads', count(1, 4096), 96)
    .option('--host <address>', 'address of the dashboard listener (0.0.0.0 to share it)', '127.0.0.1')
    .option('--mgmt-port <port>', 'dashboard and management API port', count(1, 65535), 5000)
    .option('--deploy-port <port>', 'deployment API port (on 127.0.0.1)', count(1, 65535), 5001)
    .option('--keep', 'keep the temporary folder (database, image, cards, logs) at the end', false)
    .option(
      '--exit-when-done',
      'stop the server once every unit has finished (exit 1 unless all went as planned)',
      false,
    )
    .addHelpText('after', '\nExample: npm run demo -- --units 30 --speed 4 --keep');
  program.parse(argv);
  const options = program.opts<DemoOptions>();
  if (options.dataMib > options.imageMib / 2) {
    program.error(`--data-mib ${options.dataMib} must be at most half of --image-mib ${options.imageMib}`);
  }
  return options;
}

function count(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`a whole number from ${min} to ${max}`);
    return n;
  };
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a number above 0');
  return n;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('a number of 0 or more');
  return n;
}

function share(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('a number from 0 to 1');
  return n;
}

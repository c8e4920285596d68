import { execFileSync } from 'node:child_process';

/**
 * A unit behind a link of fixed speed: a network namespace joined to this one by a veth pair whose
 * two ends are shaped by `tc` (token bucket) in each direction. Programs run "on the unit" with
 * `ip netns exec`; the server end is an address of this host that only the pair uses.
 */
export interface ShapedLink {
  /** This host's end of the pair: where the server listens for the unit. */
  serverAddress: string;
  /** The command line that runs `command` inside the unit's namespace. */
  onUnit(command: string, args: string[]): [string, string[]];
  close(): void;
}

const NAMESPACE = 'rpib-link';
const HOST_END = 'rpib-link0';
const UNIT_END = 'rpib-link1';
/** A private /30 used by nothing else on this machine (checked below). */
const SERVER_ADDRESS = '10.213.0.1';
const UNIT_ADDRESS = '10.213.0.2';

/** Opens the link at `megabitsPerSecond` both ways; a leftover from an interrupted run is removed first. */
export function openShapedLink(megabitsPerSecond: number): ShapedLink {
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const close = () => {
    for (const args of [
      ['link', 'del', HOST_END],
      ['netns', 'del', NAMESPACE],
    ]) {
      try {
        ip(...args);
      } catch {
        // not there
      }
    }
  };
  close();
  if (execFileSync('ip', ['-4', 'addr', 'show'], { encoding: 'utf8' }).includes('10.213.0.'))
    throw new Error('10.213.0.0/30 is in use on this machine: the shaped link needs it for itself');
  try {
    ip('netns', 'add', NAMESPACE);
    ip('link', 'add', HOST_END, 'type', 'veth', 'peer', 'name', UNIT_END);
    ip('link', 'set', UNIT_END, 'netns', NAMESPACE);
    ip('addr', 'add', `${SERVER_ADDRESS}/30`, 'dev', HOST_END);
    ip('link', 'set', HOST_END, 'up');
    ip('netns', 'exec', NAMESPACE, 'ip', 'addr', 'add', `${UNIT_ADDRESS}/30`, 'dev', UNIT_END);
    ip('netns', 'exec', NAMESPACE, 'ip', 'link', 'set', UNIT_END, 'up');
    ip('netns', 'exec', NAMESPACE, 'ip', 'link', 'set', 'lo', 'up');
    execFileSync('tc', tbfShaping(HOST_END, megabitsPerSecond));
    ip('netns', 'exec', NAMESPACE, 'tc', ...tbfShaping(UNIT_END, megabitsPerSecond));
  } catch (error) {
    close();
    throw new Error(
      `cannot set up the shaped link (needs root, iproute2 and tc): ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return {
    serverAddress: SERVER_ADDRESS,
    onUnit: (command, args) => ['ip', ['netns', 'exec', NAMESPACE, command, ...args]],
    close,
  };
}

/**
 * The `tc` arguments that shape what `device` sends to `megabitsPerSecond`: a token bucket with a
 * few milliseconds' worth of burst, so bursts stay near the rate.
 */
export function tbfShaping(device: string, megabitsPerSecond: number): string[] {
  return [
    'qdisc',
    'add',
    'dev',
    device,
    'root',
    'tbf',
    'rate',
    `${megabitsPerSecond}mbit`,
    'burst',
    '256kb',
    'latency',
    '20ms',
  ];
}

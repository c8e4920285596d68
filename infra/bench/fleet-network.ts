import { execFileSync } from 'node:child_process';
import { tbfShaping } from './shaped-link';

/**
 * A switch with the server and every unit on their own links of one speed, as at a venue: a
 * "switch" network namespace holding a Linux bridge, the server in its own namespace behind ONE
 * veth to the bridge, each unit in its own namespace behind its own veth; every veth end shaped by
 * `tc` to the link rate in its direction. The server's management listener is reached from this
 * host over an unshaped veth of its own (its deployment listener too), so uploads and API calls
 * do not load the links measured.
 */
export interface FleetNetwork {
  /** The server's address on the switch: its deployment listener. */
  serverAddress: string;
  /** The server's address on the management veth, reachable from this host. */
  managementAddress: string;
  /** The command line that runs `command` in the server's namespace (`ip netns exec` keeps the pid). */
  onServer(command: string, args: string[]): [string, string[]];
  /** Unit `index` (0-based): its address on the switch, and a command line run in its namespace. */
  unitAddress(index: number): string;
  onUnit(index: number, command: string, args: string[]): [string, string[]];
  /** Bytes the server sent into its link so far (headers, TCP and Ethernet framing included). */
  serverBytesSent(): number;
  close(): void;
}

/** Every namespace and the host's end of the management veth start with this: a leftover is recognised. */
const PREFIX = 'rpibf-';
const SWITCH = `${PREFIX}switch`;
const SERVER = `${PREFIX}server`;
const MANAGEMENT_END = `${PREFIX}mgmt`;
/** The server end of each link, inside its namespace. */
const LINK = 'link0';
/** A private /16 nothing else on this machine uses (checked below); management on a /30 inside it. */
const SUBNET = '10.214.';
const SERVER_ADDRESS = '10.214.0.1';
const MANAGEMENT_HOST_ADDRESS = '10.214.254.1';
const MANAGEMENT_SERVER_ADDRESS = '10.214.254.2';

const unitNamespace = (index: number) => `${PREFIX}u${String(index + 1).padStart(3, '0')}`;
const unitAddress = (index: number) => `10.214.${1 + Math.floor(index / 250)}.${1 + (index % 250)}`;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Removes every namespace of an earlier run (their veths go with them) and the management veth. */
function removeFleetNamespaces(): void {
  // Deleted at once: the kernel tears a namespace's veths down a moment after the namespace.
  if (execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).includes(`${MANAGEMENT_END}@`))
    ip('link', 'del', MANAGEMENT_END);
  const listed = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const name of listed.split('\n').map((line) => line.split(' ')[0])) {
    if (name.startsWith(PREFIX)) ip('netns', 'del', name);
  }
}

/** Opens the switch with the server and `units` units, every link at `megabitsPerSecond` both ways. */
export function openFleetNetwork(units: number, megabitsPerSecond: number): FleetNetwork {
  removeFleetNamespaces();
  if (execFileSync('ip', ['-4', 'addr', 'show'], { encoding: 'utf8' }).includes(`inet ${SUBNET}`))
    throw new Error(`${SUBNET}0.0/16 is in use on this machine: the fleet bench needs it for itself`);
  const inSwitch = (...args: string[]) => ip('netns', 'exec', SWITCH, ...args);
  /** A veth from the bridge (`port`) to `namespace` (`link0` there, at `address`), both ends shaped. */
  const cable = (port: string, namespace: string, address: string) => {
    ip('netns', 'add', namespace);
    ip('-n', SWITCH, 'link', 'add', port, 'type', 'veth', 'peer', 'name', LINK, 'netns', namespace);
    ip('-n', SWITCH, 'link', 'set', port, 'master', 'br0', 'up');
    ip('-n', namespace, 'addr', 'add', `${address}/16`, 'dev', LINK);
    ip('-n', namespace, 'link', 'set', LINK, 'up');
    ip('-n', namespace, 'link', 'set', 'lo', 'up');
    inSwitch('tc', ...tbfShaping(port, megabitsPerSecond));
    ip('netns', 'exec', namespace, 'tc', ...tbfShaping(LINK, megabitsPerSecond));
  };
  try {
    ip('netns', 'add', SWITCH);
    ip('-n', SWITCH, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', SWITCH, 'link', 'set', 'br0', 'up');
    cable('server', SERVER, SERVER_ADDRESS);
    ip('link', 'add', MANAGEMENT_END, 'type', 'veth', 'peer', 'name', 'mgmt0', 'netns', SERVER);
    ip('addr', 'add', `${MANAGEMENT_HOST_ADDRESS}/30`, 'dev', MANAGEMENT_END);
    ip('link', 'set', MANAGEMENT_END, 'up');
    ip('-n', SERVER, 'addr', 'add', `${MANAGEMENT_SERVER_ADDRESS}/30`, 'dev', 'mgmt0');
    ip('-n', SERVER, 'link', 'set', 'mgmt0', 'up');
    // This host reaches the deployment listener too (for the manifest), over the unshaped veth.
    ip('route', 'add', `${SERVER_ADDRESS}/32`, 'via', MANAGEMENT_SERVER_ADDRESS, 'dev', MANAGEMENT_END);
    for (let index = 0; index < units; index += 1) cable(`u${index + 1}`, unitNamespace(index), unitAddress(index));
  } catch (error) {
    removeFleetNamespaces();
    throw new Error(
      `cannot set up the fleet network (needs root, iproute2, tc and bridges): ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return {
    serverAddress: SERVER_ADDRESS,
    managementAddress: MANAGEMENT_SERVER_ADDRESS,
    onServer: (command, args) => ['ip', ['netns', 'exec', SERVER, command, ...args]],
    unitAddress,
    onUnit: (index, command, args) => ['ip', ['netns', 'exec', unitNamespace(index), command, ...args]],
    serverBytesSent: () => {
      const [link] = JSON.parse(
        execFileSync('ip', ['-n', SERVER, '-j', '-s', 'link', 'show', 'dev', LINK], { encoding: 'utf8' }),
      ) as Array<{ stats64: { tx: { bytes: number } } }>;
      return link.stats64.tx.bytes;
    },
    close: removeFleetNamespaces,
  };
}

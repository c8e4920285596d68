import { UNIT_HEADER, waitingInLine } from '@rpi-deploy/contracts';
import type { StatusReporter } from '../status-reporter';
import { sleep } from './backoff';

/** Never wait longer than this on one Retry-After: a server that says more is still asked again then. */
const MAX_WAIT_MS = 120_000;

/**
 * This unit's turn on the server's link, shared by every download of one install (the chunks
 * fetched side by side): requests name the unit (UNIT_HEADER), and when the server answers 503
 * with Retry-After all of them hold back until then instead of asking one by one.
 */
export class ServerTurn {
  private until = 0;
  private position: number | null = null;

  constructor(
    private readonly unit: string,
    /** Told when the unit's place in line changes; null once it is served. */
    private readonly onPlace: (position: number | null) => void = () => undefined,
  ) {}

  get headers(): Record<string, string> {
    return { [UNIT_HEADER]: this.unit };
  }

  /** Whether the server's last Retry-After is still running: asking it now would only be refused. */
  get waiting(): boolean {
    return this.until > Date.now();
  }

  /** Resolves once the server's last Retry-After has passed. */
  async ready(): Promise<void> {
    for (let wait = this.until - Date.now(); wait > 0; wait = this.until - Date.now()) await sleep(wait);
  }

  /** The server said: come back in `seconds`, you are `position` in line. Returns the line to log. */
  wait(seconds: number, position: number | null): string {
    this.until = Math.max(this.until, Date.now() + Math.min(MAX_WAIT_MS, seconds * 1000));
    if (position !== null && position !== this.position) {
      this.position = position;
      this.onPlace(position);
    }
    const place = position === null ? 'waiting for the network' : waitingInLine(position);
    return `${place}; asking the server again in ${seconds} s`;
  }

  /** The server is sending bytes: the unit is out of the line. */
  served(): void {
    if (this.position === null) return;
    this.position = null;
    this.onPlace(null);
  }
}

/** The install's turn: the dashboard is told "waiting for the network, 4th in line" as it changes. */
export function serverTurn(deploymentId: string, reporter: StatusReporter): ServerTurn {
  return new ServerTurn(deploymentId, (position) =>
    reporter.report({
      status: 'downloading',
      message: position === null ? 'the server is sending the image' : waitingInLine(position),
    }),
  );
}

import { STATUS_TEXT_LIMITS, TERMINAL_DEPLOYMENT_STATUSES, type StatusReport } from '@rpi-deploy/contracts';
import { backoffDelay, sleep } from './download/backoff';
import { errorMessage, isTransientStatus, postJson } from './download/http-client';

export type StatusUpdate = Omit<StatusReport, 'deploymentId'>;

interface Queued {
  update: StatusUpdate;
  attempts: number;
  isProgress: boolean;
}

const REQUEST_TIMEOUT_MS = 5_000;
const ATTEMPTS = { progress: 2, phase: 5, terminal: 8 };
/** The server refuses longer texts (400), and a refused `failed` report would lose the reason. */
const MAX_LENGTH = STATUS_TEXT_LIMITS;

/**
 * Sends `POST /api/status` reports with the deployment's bearer token, one at a time and in
 * order. Reporting never aborts the install: failed sends are retried with a short backoff and
 * then logged. Progress updates that pile up behind a slow server collapse into the latest one,
 * and the progress figure never goes backwards.
 */
export class StatusReporter {
  private readonly queue: Queued[] = [];
  private draining?: Promise<void>;
  private progressFloor = 0;

  constructor(
    private readonly server: string,
    private readonly deploymentId: string,
    private readonly statusToken: string,
    private readonly options: { retryDelayMs: number; log: (line: string) => void },
  ) {}

  /** A phase change, `success` or `failed`: always sent, retried longer. */
  report(update: StatusUpdate): void {
    const terminal = TERMINAL_DEPLOYMENT_STATUSES.includes(update.status);
    this.enqueue({ update, attempts: terminal ? ATTEMPTS.terminal : ATTEMPTS.phase, isProgress: false });
  }

  /** A progress update within the current phase: replaces one that has not been sent yet. */
  progress(update: StatusUpdate): void {
    if (this.queue.at(-1)?.isProgress) this.queue.pop();
    this.enqueue({ update, attempts: ATTEMPTS.progress, isProgress: true });
  }

  /** Resolves when everything queued so far has been sent (or given up on). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private enqueue(item: Queued): void {
    if (item.update.progress !== undefined) {
      this.progressFloor = Math.max(this.progressFloor, Math.min(100, Math.round(item.update.progress)));
      item.update = { ...item.update, progress: this.progressFloor };
    }
    this.queue.push(item);
    this.draining ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      for (let item = this.queue.shift(); item; item = this.queue.shift()) await this.send(item);
    } finally {
      this.draining = undefined;
    }
  }

  private async send({ update, attempts }: Queued): Promise<void> {
    const body: StatusReport = {
      deploymentId: this.deploymentId,
      ...update,
      message: clamp(update.message, MAX_LENGTH.message),
      error: clamp(update.error, MAX_LENGTH.error),
    };
    let problem = '';
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        const response = await postJson(`${this.server}/api/status`, body, {
          headers: { authorization: `Bearer ${this.statusToken}` },
          timeoutMs: REQUEST_TIMEOUT_MS,
        });
        if (response.status >= 200 && response.status < 300) return;
        problem = `HTTP ${response.status}: ${errorMessage(response)}`;
        // 4xx means this report will never be accepted (e.g. 409 once the deployment is finished).
        if (!isTransientStatus(response.status)) break;
      } catch (error) {
        problem = (error as Error).message;
      }
      if (attempt < attempts) {
        await sleep(backoffDelay(attempt, { initialMs: Math.min(this.options.retryDelayMs, 1000), maxMs: 5000 }));
      }
    }
    this.options.log(`status report "${update.status}" was not accepted (${problem}); the install goes on`);
  }
}

function clamp(text: string | undefined, maxLength: number): string | undefined {
  return text !== undefined && text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/** A Proxmox worker task: runs for a while, then ends OK or with an error, leaving a log. */
export interface FakeTask {
  upid: string;
  type: string;
  id: string;
  user: string;
  startedAt: number;
  endsAt: number;
  /** Undefined while running. */
  exitstatus?: string;
  log: string[];
}

export interface TaskOutcome {
  /** The task's log lines on success. */
  log?: string[];
  /** What the task changes, applied when it ends OK. */
  apply?: () => void;
}

/** A failure a test arranges for the next task of a type (e.g. "qmcreate"). */
export interface TaskFailure {
  message: string;
  log: string[];
}

let pid = 0x1000;

/** Tasks of the fake node, finishing asynchronously after `durationMs` as real ones do. */
export class FakeTasks {
  private readonly tasks = new Map<string, FakeTask>();
  private readonly failures = new Map<string, TaskFailure>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly node: string,
    private readonly durationMs: () => number,
  ) {}

  failNext(type: string, message: string, log: string[] = []): void {
    this.failures.set(type, { message, log });
  }

  start(type: string, id: string, user: string, outcome: TaskOutcome): string {
    const now = Date.now();
    const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
    const upid = `UPID:${this.node}:${hex(++pid)}:${hex(now % 0xffffffff)}:${hex(Math.floor(now / 1000))}:${type}:${id}:${user}:`;
    const task: FakeTask = { upid, type, id, user, startedAt: now, endsAt: now + this.durationMs(), log: [] };
    this.tasks.set(upid, task);
    const failure = this.failures.get(type);
    this.failures.delete(type);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (failure) {
        task.log = [...failure.log, `TASK ERROR: ${failure.message}`];
        task.exitstatus = failure.message;
        return;
      }
      try {
        outcome.apply?.();
        task.log = [...(outcome.log ?? []), 'TASK OK'];
        task.exitstatus = 'OK';
      } catch (error) {
        task.log = [`TASK ERROR: ${(error as Error).message}`];
        task.exitstatus = (error as Error).message;
      }
    }, task.endsAt - now);
    this.timers.add(timer);
    return upid;
  }

  get(upid: string): FakeTask | undefined {
    return this.tasks.get(upid);
  }

  all(): FakeTask[] {
    return [...this.tasks.values()];
  }

  stop(): void {
    this.timers.forEach(clearTimeout);
  }
}

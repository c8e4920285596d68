import { runProgramSource } from '../test/support/run-program-source';

/** A program that installs the guard, then either settles or waits on a promise nothing will resolve. */
function runGuarded(settles: boolean): { status: number | null; stderr: string } {
  const { status, stderr } = runProgramSource(
    { failIfAbandoned: 'exit-guard' },
    `let settled = false;
failIfAbandoned(() => settled, 1);
${settles ? 'Promise.resolve().then(() => (settled = true));' : 'new Promise(() => undefined).then(() => (settled = true));'}
`,
  );
  return { status, stderr };
}

describe('failIfAbandoned', () => {
  it('turns an exit with the work still pending into a failure that says so', () => {
    const run = runGuarded(false);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('pi-installer: internal error: the install stopped with its work unfinished');
  });

  it('lets a settled install end as it chose', () => {
    expect(runGuarded(true)).toEqual({ status: 0, stderr: '' });
  });
});

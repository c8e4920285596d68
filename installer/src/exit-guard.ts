/**
 * Node ends a process whose event loop has nothing left to wait for with exit code 0, even while
 * a promise is pending. For the installer that would pass for a success (the Pi would reboot and
 * the deployment would stay "downloading" on the dashboard). If the install has not settled by
 * then, something lost track of its work: say so and exit with `exitCode` instead.
 */
export function failIfAbandoned(isSettled: () => boolean, exitCode: number): void {
  process.once('beforeExit', () => {
    if (isSettled()) return;
    console.error(
      'pi-installer: internal error: the install stopped with its work unfinished (nothing left to wait for); ' +
        'failing instead of passing for a success',
    );
    process.exit(exitCode);
  });
}

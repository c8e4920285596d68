/**
 * Polls `probe` until it returns something other than undefined. Fails after `timeoutMs`
 * saying what it waited for and, when `lastSeen` is given, what it saw last.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; lastSeen?: () => Promise<unknown> } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const seen = options.lastSeen ? `; last seen: ${JSON.stringify(await options.lastSeen())}` : '';
      throw new Error(`timed out waiting for ${what}${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/**
 * Polls `url` until it answers with a 2xx status, as a starting server's health check does.
 * `failIf` may give a reason to stop waiting at once, such as the server process having exited.
 */
export function waitForHealthy(
  url: string,
  options: {
    timeoutMs?: number;
    intervalMs?: number;
    failIf?: () => string | undefined;
    lastSeen?: () => Promise<unknown>;
  } = {},
): Promise<true> {
  return waitFor(
    `${url} to answer`,
    async () => {
      const failure = options.failIf?.();
      if (failure) throw new Error(failure);
      const ok = await fetch(url).then(
        (response) => response.ok,
        () => false, // not listening yet
      );
      return ok || undefined;
    },
    { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: options.intervalMs ?? 200, lastSeen: options.lastSeen },
  );
}

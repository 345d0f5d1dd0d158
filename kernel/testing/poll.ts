// Waiting for a condition in integration tests: never on wall-clock speed, only with a generous
// deadline after which the test fails naming what it waited for.

/** Calls `check` every `intervalMs` until it returns something other than undefined. */
export async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000, intervalMs = 300): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

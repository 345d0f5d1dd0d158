/** Runs `op(i)` for i < n with `window` operations in flight. */
export async function pipelined(n: number, window: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(window, n) }, async () => {
    while (next < n) await op(next++);
  }));
}

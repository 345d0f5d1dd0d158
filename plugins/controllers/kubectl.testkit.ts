// Shared by the controllers' kubectl e2e files: a `kite up` (scheduler, controllers, runc node)
// driven by the real kubectl, with checks that report into the current subtest.
import type { Test } from 'tap';
import { startTestKite, type KubectlResult, type TestKite } from '../../kernel/testing/kite.js';

export const root = process.getuid?.() === 0;

export interface KubectlSession {
  kite: TestKite;
  /** Runs kubectl; no check. */
  k(...args: string[]): Promise<KubectlResult>;
  /** Runs kubectl and checks exit 0 in the current subtest. */
  ok(args: string[], what: string): Promise<KubectlResult>;
  waitFor(what: string, check: () => Promise<boolean>, timeoutMs?: number): Promise<boolean>;
  jsonpath(args: string[], path: string): Promise<string>;
  /** Makes `t` the subtest that checks report into. */
  use(t: Test): void;
  /** kill -9 of `kite up`, then a restart on the same data (pods and state survive). */
  crashAndRestart(): Promise<void>;
}

export async function startKubectlSession(t: Test): Promise<KubectlSession> {
  let kite = await startTestKite(t);
  let current: Test = t;
  const s: KubectlSession = {
    get kite() {
      return kite;
    },
    k: (...args) => kite.kubectl(args),
    async ok(args, what) {
      const r = await kite.kubectl(args);
      current.equal(r.code, 0, `${what}: exit 0${r.code ? ` (${r.stderr.trim()})` : ''}`);
      return r;
    },
    async waitFor(what, check, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (await check()) return true;
        await new Promise((r) => setTimeout(r, 250));
      }
      current.fail(`timed out waiting for ${what}`);
      return false;
    },
    jsonpath: async (args, path) => (await kite.kubectl(['get', ...args, '-o', `jsonpath=${path}`])).stdout.trim(),
    use(t) {
      current = t;
    },
    async crashAndRestart() {
      const exited = new Promise((r) => kite.child.once('exit', r));
      kite.child.kill('SIGKILL');
      await exited;
      kite = await kite.restart();
    },
  };
  await s.waitFor('a Ready node', async () => / Ready /.test((await s.k('get', 'nodes')).stdout));
  return s;
}

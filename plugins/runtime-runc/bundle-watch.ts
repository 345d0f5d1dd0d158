// Bundle directory facts. Waiting for the supervisor's marker files (`pid`: runc started the process; `exit`: it ended) in
// a bundle directory. inotify on the directory tells at once and costs nothing while waiting; a
// slow poll stays as a fallback for file systems without inotify. Polling every 15 ms instead cost
// a stat per starting container per tick, which with 50 containers starting on a busy machine was
// a visible share of the agent's CPU.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

const FALLBACK_POLL_MS = 250;

/** Resolves with the first of `names` that exists in `dir`, or undefined after `timeoutMs`. */
export function waitForBundleFile(dir: string, names: readonly string[], timeoutMs: number): Promise<string | undefined> {
  const present = () => names.find((n) => existsSync(join(dir, n)));
  const first = present();
  if (first) return Promise.resolve(first);
  return new Promise((resolve) => {
    let watcher: FSWatcher | undefined;
    const finish = (found: string | undefined) => {
      watcher?.close();
      clearInterval(poll);
      clearTimeout(deadline);
      resolve(found);
    };
    const check = () => {
      const found = present();
      if (found) finish(found);
    };
    try {
      watcher = watch(dir, (_event, file) => {
        if (file === null || names.includes(String(file))) check();
      });
      watcher.on('error', () => undefined);
    } catch {
      // No inotify here: the poll below still sees the file.
    }
    const poll = setInterval(check, FALLBACK_POLL_MS);
    const deadline = setTimeout(() => finish(present()), timeoutMs);
    // The file may have appeared between the first look and the watch being set up.
    check();
  });
}

/** A mount point sits on another device than its parent directory (a cheap "is the rootfs mounted"). */
export async function mounted(dir: string): Promise<boolean> {
  try {
    const [inner, outer] = await Promise.all([stat(dir), stat(join(dir, '..'))]);
    return inner.dev !== outer.dev;
  } catch {
    return false;
  }
}

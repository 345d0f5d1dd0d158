// Which Kite processes run on a data directory. `kite up`, `kite server` and `kite node` each
// write `<dataDir>/run/<pid>.json` (pid, start time, command) before they create anything, and
// remove it when they exit; a record left by a killed process is recognised as stale because its
// pid no longer runs with the recorded start time. `kite reset` refuses while one is live.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processInfo } from '../process/leftovers.js';
import { STATE_FILE } from '../kernel.js';

export const RUN_DIR = 'run';

export interface RunningRecord {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: with the pid, the process's identity. */
  startTime: string;
  command: string;
  startedAt: string;
}

/** Records this process as running on `dataDir` until it exits. */
export function recordRunning(dataDir: string, command: string): void {
  const dir = join(dataDir, RUN_DIR);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.pid}.json`);
  const record: RunningRecord = { pid: process.pid, startTime: processInfo(process.pid)?.startTime ?? '', command, startedAt: new Date().toISOString() };
  writeFileSync(file, JSON.stringify(record) + '\n');
  process.once('exit', () => rmSync(file, { force: true }));
}

/** Boot time (seconds since the epoch) and clock ticks per second, to date a process start. */
function processStartedAtMs(startTime: string): number | undefined {
  try {
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    return (btime + Number(startTime) / 100) * 1000; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** The Kite processes live on `dataDir` (records whose process still runs; a kernel's kite.json too). */
export function runningKites(dataDir: string): RunningRecord[] {
  const out: RunningRecord[] = [];
  const dir = join(dataDir, RUN_DIR);
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch { /* none recorded */ }
  for (const f of files) {
    try {
      const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as RunningRecord;
      if (processInfo(r.pid)?.startTime === r.startTime) out.push(r);
    } catch { /* unreadable: written by no live process */ }
  }
  // A kernel started in process (tests, embedders) writes only kite.json when it is up: its pid
  // counts if that process started before the file was written (a reused pid started later).
  try {
    const statePath = join(dataDir, STATE_FILE);
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as { pid: number; startedAt?: string };
    const info = processInfo(state.pid);
    const started = info ? processStartedAtMs(info.startTime) : undefined;
    const written = Date.parse(state.startedAt ?? '') || statSync(statePath).mtimeMs;
    if (info && started !== undefined && started <= written + 1000 && !out.some((r) => r.pid === state.pid)) {
      out.push({ pid: state.pid, startTime: info.startTime, command: 'kernel', startedAt: state.startedAt ?? '' });
    }
  } catch { /* no kernel state */ }
  return out;
}

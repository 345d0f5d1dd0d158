// What a killed Kite leaves on the host, seen from /proc: processes with their identity (start
// time, session, command line) and the mount points below a directory. Used by `kite reset`
// (kernel/cli/reset.ts) and the plugins' own reset modules, which must never act on a pid alone:
// a pid recorded by a dead Kite may belong to an unrelated process by now.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** One thing `kite reset` found (dry run) or removed. */
export interface ResetItem {
  kind: ResetKind;
  /** What it is: a container id, a pid with its command, a mount point, an interface name, ... */
  name: string;
  /** For processes: the pid, so several steps never count one process twice. */
  pid?: number;
}

export type ResetKind =
  | 'container'
  | 'sandbox'
  | 'process'
  | 'runtime-state'
  | 'mount'
  | 'cgroup'
  | 'cni-attachment'
  | 'link'
  | 'netns'
  | 'iptables'
  | 'path';

/** What a reset step found or removed, and what it could not remove (with the reason). */
export interface ResetStep {
  items: ResetItem[];
  problems: string[];
}

export interface HostProcess {
  pid: number;
  ppid: number;
  /** Session id: detached programs lead a session of their own, their helpers share it. */
  sid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot): with the pid, the process's identity. */
  startTime: string;
  argv: string[];
}

/** The process's identity and command line, or undefined when it is gone (zombies count as gone). */
export function processInfo(pid: number): HostProcess | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv.at(-1) === '') argv.pop();
    return { pid, ppid: Number(fields[1]), sid: Number(fields[3]), startTime: fields[19] ?? '', argv };
  } catch {
    return undefined;
  }
}

export function listProcesses(): HostProcess[] {
  const out: HostProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const p = processInfo(Number(entry));
    if (p) out.push(p);
  }
  return out;
}

/** True while `pid` is the very process recorded with `startTime` (not a later one reusing the pid). */
export function sameProcess(pid: number, startTime: string): boolean {
  return processInfo(pid)?.startTime === startTime;
}

/** This process and its ancestors: never signalled, whatever their command lines say. */
export function selfAndAncestors(): Set<number> {
  const out = new Set<number>();
  for (let pid = process.pid; pid > 1 && !out.has(pid);) {
    out.add(pid);
    pid = processInfo(pid)?.ppid ?? 0;
  }
  return out;
}

/** The processes whose parent chain leads to one of `roots` (the roots included). */
export function withDescendants(roots: HostProcess[], all: HostProcess[]): HostProcess[] {
  const chosen = new Map(roots.map((p) => [p.pid, p]));
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (!chosen.has(p.pid) && chosen.has(p.ppid)) {
        chosen.set(p.pid, p);
        grew = true;
      }
    }
  }
  return [...chosen.values()];
}

/**
 * SIGKILLs each process that is still the recorded one (same start time) and waits until all are
 * gone or `timeoutMs` passes; returns the ones still there.
 */
export async function killAndWait(procs: HostProcess[], timeoutMs = 15_000): Promise<HostProcess[]> {
  const spare = selfAndAncestors();
  const targets = procs.filter((p) => !spare.has(p.pid));
  for (const p of targets) {
    if (!sameProcess(p.pid, p.startTime)) continue;
    try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
  }
  const deadline = Date.now() + timeoutMs;
  let left = targets.filter((p) => sameProcess(p.pid, p.startTime));
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = left.filter((p) => sameProcess(p.pid, p.startTime));
  }
  return left;
}

/** Waits until none of `procs` runs any more (they end on their own), at most `timeoutMs`. */
export async function waitGone(procs: HostProcess[], timeoutMs: number): Promise<HostProcess[]> {
  const deadline = Date.now() + timeoutMs;
  let left = procs.filter((p) => sameProcess(p.pid, p.startTime));
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = left.filter((p) => sameProcess(p.pid, p.startTime));
  }
  return left;
}

/** `/proc/self/mountinfo` escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points strictly below `dir` in this mount namespace, deepest first (the order to unmount). */
export function mountPointsUnder(dir: string): string[] {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = new Set<string>();
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    const point = unescapeMountPath(field);
    if (point.startsWith(prefix)) points.add(point);
  }
  return [...points].sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
}

/** True when `text` names `dir` or something inside it (a path argument, or one inside a shell script). */
export function refersTo(text: string, dir: string): boolean {
  const d = dir.replace(/\/+$/, '');
  for (let i = text.indexOf(d); i >= 0; i = text.indexOf(d, i + 1)) {
    const next = text[i + d.length];
    const before = i === 0 ? '' : text[i - 1];
    const startsPath = before === '' || /[\s'"=:,]/.test(before!);
    if (startsPath && (next === undefined || /[/\s'"]/.test(next))) return true;
  }
  return false;
}

/** Directories below `dir` (itself first), deepest last: reverse for leaves-first removal. */
export function directoryTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out = [dir];
  for (let i = 0; i < out.length; i++) {
    let entries: import('node:fs').Dirent[] = [];
    try {
      entries = readdirSync(out[i]!, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) if (e.isDirectory()) out.push(`${out[i]}/${e.name}`);
  }
  return out;
}

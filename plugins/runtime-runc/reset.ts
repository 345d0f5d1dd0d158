// `kite reset` for the runc runtime: removes what one runtime state directory left on the host
// after its node agent was killed (the agent adopts all of it when it starts again, so nothing
// else ever cleans it): container processes, their supervisor sessions, the pod sandbox holders,
// runc's/crun's own state, rootfs mounts still on the host, the per-container cgroups, and finally
// the state directory itself. Every process is identified by more than its pid: container processes
// by membership of the container's cgroup, supervisors by a command line naming the bundle,
// sandbox holders by the start time recorded next to the pid.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  directoryTree, killAndWait, listProcesses, mountPointsUnder, processInfo, waitGone, withDescendants,
  type HostProcess, type ResetItem, type ResetStep,
} from '../../kernel/process/leftovers.js';
import { ociRuntime } from './oci-runtime.js';

const run = promisify(execFile);

export interface RuncResetOptions {
  /** The runtime's state directory (`<dataDir>/node/<node>/runtime`). */
  stateDir: string;
  /** Where the cgroup hierarchies are mounted (default /sys/fs/cgroup). */
  cgroupRoot?: string;
  /** OCI runtime binaries tried for `delete --force` of leftover state (default: runc and crun where installed). */
  ociBinaries?: string[];
  /** Only report what would be removed. */
  dryRun: boolean;
}

interface ContainerLeftovers {
  id: string;
  bundle: string;
  /** Cgroup directories of the container (every hierarchy), parent of runc's own. */
  cgroups: string[];
  /** Processes in those cgroups: the container's own. */
  members: HostProcess[];
  /** The supervisor shell naming this bundle, with its helpers (tee, script, runc run, stdin holder). */
  supervisors: HostProcess[];
}

interface SandboxRecord {
  id: string;
  pid: number;
  startTime: string;
}

const DEFAULT_OCI_BINARIES = ['/usr/sbin/runc', '/usr/bin/crun'];

function cgroupProcs(dirs: string[]): HostProcess[] {
  const pids = new Set<number>();
  for (const top of dirs) {
    for (const dir of directoryTree(top)) {
      try {
        for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line) pids.add(Number(line));
      } catch { /* removed meanwhile */ }
    }
  }
  return [...pids].map(processInfo).filter((p): p is HostProcess => !!p);
}

/** `/kite/<id>/runc` in config.json → `kite/<id>`, the agent-owned parent runc's cgroup sits in. */
function containerCgroup(bundle: string, id: string): string {
  try {
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { linux?: { cgroupsPath?: string } };
    const path = spec.linux?.cgroupsPath;
    if (path && path.endsWith(`/${id}/runc`)) return path.replace(/^\/+/, '').slice(0, -'/runc'.length);
  } catch { /* no bundle config: the default parent */ }
  return `kite/${id}`;
}

function findContainers(stateDir: string, cgroupRoot: string, processes: HostProcess[]): ContainerLeftovers[] {
  const containersDir = join(stateDir, 'containers');
  let ids: string[] = [];
  try {
    ids = readdirSync(containersDir);
  } catch {
    return [];
  }
  const controllers = existsSync(cgroupRoot) ? readdirSync(cgroupRoot) : [];
  return ids.map((id) => {
    const bundle = join(containersDir, id);
    const rel = containerCgroup(bundle, id);
    const cgroups = controllers.map((c) => join(cgroupRoot, c, rel)).filter((d) => existsSync(d));
    // The supervisor is `busybox sh -c <script>`, and the script names files of its bundle.
    const roots = processes.filter((p) => p.argv.some((a) => a.includes(`${bundle}/`)));
    return { id, bundle, cgroups, members: cgroupProcs(cgroups), supervisors: withDescendants(roots, processes) };
  });
}

/** The ids of the pod sandboxes the state directory recorded (`s-<pod uid>`), alive or not. */
export function recordedSandboxIds(stateDir: string): string[] {
  try {
    return readdirSync(join(stateDir, 'sandboxes')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
  } catch {
    return [];
  }
}

function readSandboxes(stateDir: string): SandboxRecord[] {
  const dir = join(stateDir, 'sandboxes');
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: SandboxRecord[] = [];
  for (const f of files) {
    try {
      const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as SandboxRecord;
      if (Number.isInteger(r.pid) && typeof r.startTime === 'string') out.push(r);
    } catch { /* a half-written record: no process to match */ }
  }
  return out;
}

const describe = (p: HostProcess) => `${p.pid} ${p.argv.join(' ').slice(0, 80)}`;

/** Removes (or, with dryRun, lists) everything the runtime state directory accounts for. */
export async function resetRuncState(opts: RuncResetOptions): Promise<ResetStep> {
  const items: ResetItem[] = [];
  const problems: string[] = [];
  if (!existsSync(opts.stateDir)) return { items, problems };
  const cgroupRoot = opts.cgroupRoot ?? '/sys/fs/cgroup';
  const processes = listProcesses();
  const containers = findContainers(opts.stateDir, cgroupRoot, processes);
  const holders = readSandboxes(opts.stateDir)
    .map((r) => ({ record: r, proc: processInfo(r.pid) }))
    .filter((h): h is { record: SandboxRecord; proc: HostProcess } => h.proc?.startTime === h.record.startTime);
  const runcRoot = join(opts.stateDir, 'runc');
  const runcStates = existsSync(runcRoot) ? readdirSync(runcRoot) : [];

  const seen = new Set<number>();
  for (const c of containers) {
    items.push({ kind: 'container', name: c.id });
    // A container's processes are also descendants of its supervisor's `runc run`: each counted once.
    for (const p of [...c.members, ...c.supervisors]) if (!seen.has(p.pid) && seen.add(p.pid)) items.push({ kind: 'process', name: describe(p), pid: p.pid });
  }
  for (const h of holders) items.push({ kind: 'sandbox', name: `${h.record.id} (pid ${h.proc.pid})` });
  for (const id of runcStates) items.push({ kind: 'runtime-state', name: join(runcRoot, id) });
  const mounts = mountPointsUnder(opts.stateDir);
  for (const m of mounts) items.push({ kind: 'mount', name: m });
  const cgroupDirs = containers.flatMap((c) => c.cgroups.flatMap((d) => directoryTree(d)));
  for (const d of cgroupDirs) items.push({ kind: 'cgroup', name: d });
  if (opts.dryRun) return { items, problems };

  // 1. The containers' own processes (SIGKILL to a container's init ends its PID namespace). The
  //    foreground `runc run` then deletes its state and the supervisor writes the exit file and ends.
  //    A frozen cgroup (a paused container) would hold SIGKILL back: thaw it first.
  for (const d of cgroupDirs) if (existsSync(join(d, 'freezer.state'))) { try { writeFileSync(join(d, 'freezer.state'), 'THAWED'); } catch { /* gone */ } }
  const members = containers.flatMap((c) => c.members);
  for (const p of await killAndWait(members)) problems.push(`container process ${describe(p)} did not end`);
  const supervisors = containers.flatMap((c) => c.supervisors);
  const lingering = await waitGone(supervisors, 3_000);
  for (const p of await killAndWait(lingering)) problems.push(`supervisor process ${describe(p)} did not end`);
  // 2. Pod sandbox holders (only the recorded processes: same pid and start time).
  for (const p of await killAndWait(holders.map((h) => h.proc))) problems.push(`sandbox holder ${describe(p)} did not end`);
  // 3. State the OCI runtime kept for containers it could not delete itself (killed `runc run`).
  // Which binary made a state is not recorded: each installed one is asked until the state is gone.
  const commands: string[][] = [];
  if (runcStates.length > 0) {
    for (const binary of opts.ociBinaries ?? DEFAULT_OCI_BINARIES.filter((b) => existsSync(b))) {
      const version = await run(binary, ['--version']).then((r) => r.stdout, () => '');
      commands.push(ociRuntime(binary, version, cgroupRoot).command);
    }
  }
  for (const id of runcStates) {
    for (const [file, ...lead] of commands) {
      if (!existsSync(join(runcRoot, id))) break;
      await run(file!, [...lead, '--root', runcRoot, 'delete', '--force', id]).catch(() => undefined);
    }
  }
  // 4. Rootfs mounts on the host (supervisors before the private mount namespace mounted them here).
  for (const m of mounts) {
    await run('umount', ['-l', m]).catch((e: Error) => problems.push(`cannot unmount ${m}: ${e.message.split('\n')[0]}`));
  }
  // 5. Cgroups, leaves first (runc's child before the agent's parent); a killed process leaves its
  //    cgroup a moment after it is reaped, so an EBUSY is retried.
  const deadline = Date.now() + 30_000;
  for (const dir of [...cgroupDirs].reverse()) {
    for (;;) {
      try {
        rmdirSync(dir);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || Date.now() > deadline) {
          problems.push(`cannot remove cgroup ${dir}: ${code}`);
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  // 6. The state directory: bundles, sandbox records, what runc left (no mount below it any more).
  if (mountPointsUnder(opts.stateDir).length === 0) await rm(opts.stateDir, { recursive: true, force: true });
  else problems.push(`${opts.stateDir} still has mounts below it: not removed`);
  return { items, problems };
}

// Network namespaces for tests and benchmarks: named `<prefix>-<pid>-<n>` so a run never
// collides with a parallel one, removed at teardown, and swept on the next run if a killed
// process left them behind (the pid in the name is no longer alive).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
let counter = 0;

export interface Netns {
  name: string;
  /** The path a CNI runtime passes as CNI_NETNS. */
  path: string;
  /** Runs a command inside the namespace and returns its stdout (throws on non-zero exit). */
  exec(cmd: string, args: string[]): Promise<string>;
  /** Starts a long-running command inside the namespace. */
  spawn(cmd: string, args: string[]): ChildProcess;
}

export async function sh(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await execFileP(cmd, args, { maxBuffer: 16 << 20 });
  return stdout;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes namespaces named `<prefix>-<pid>-…` whose creating process is gone. */
export async function sweepStaleNetns(prefix: string): Promise<void> {
  let names: string[] = [];
  try { names = readdirSync('/var/run/netns'); } catch { return; }
  const re = new RegExp(`^${prefix}-(\\d+)-`);
  for (const name of names) {
    const m = re.exec(name);
    if (m && !alive(Number(m[1]))) await sh('ip', ['netns', 'del', name]).catch(() => undefined);
  }
}

export function netnsHandle(name: string): Netns {
  const path = `/var/run/netns/${name}`;
  return {
    name,
    path,
    exec: (cmd, args) => sh('nsenter', [`--net=${path}`, cmd, ...args]),
    spawn: (cmd, args) => spawn('nsenter', [`--net=${path}`, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
  };
}

/** Creates a namespace with loopback up; `register` receives its removal (tap's t.teardown). */
export async function createNetns(prefix: string, register: (fn: () => Promise<void>) => void): Promise<Netns> {
  const name = `${prefix}-${process.pid}-${++counter}`;
  await sh('ip', ['netns', 'add', name]);
  register(() => deleteNetns(name));
  const ns = netnsHandle(name);
  await ns.exec('ip', ['link', 'set', 'lo', 'up']);
  return ns;
}

export async function deleteNetns(name: string): Promise<void> {
  await sh('ip', ['netns', 'del', name]).catch(() => undefined);
}

/** Interface names in a namespace (brief listing). */
export async function linkNames(ns: Netns): Promise<string[]> {
  const links = JSON.parse(await ns.exec('ip', ['-j', 'link', 'show'])) as Array<{ ifname: string }>;
  return links.map((l) => l.ifname);
}

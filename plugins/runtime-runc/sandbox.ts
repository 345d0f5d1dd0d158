// Pod sandboxes: a long-running `sleep` in fresh network, IPC and UTS namespaces (loopback up,
// hostname = pod name). The pod's containers join those namespaces through /proc/<pid>/ns/*, so
// they reach each other on localhost. The process is detached: it outlives an agent restart.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SandboxConfig, SandboxStatus } from '../node-agent/runtime.js';

interface SandboxRecord {
  id: string;
  podUid: string;
  namespace: string;
  name: string;
  pid: number;
  /** Process start time (field 22 of /proc/<pid>/stat): guards against a reused pid. */
  startTime: string;
}

const HOLD_NAMESPACES = 'ip link set lo up && hostname "$1" && exec sleep infinity';
const HOLD_HOST_NETWORK = 'hostname "$1" && exec sleep infinity';

function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Starts a program detached (own session, no stdio) and resolves with its pid. */
export type DetachedLauncher = (file: string, args: string[]) => Promise<number>;

const spawnDetached: DetachedLauncher = async (file, args) => {
  const child = spawn(file, args, { detached: true, stdio: 'ignore' });
  child.unref();
  if (!child.pid) throw new Error(`${file} did not start`);
  return child.pid;
};

export class Sandboxes {
  constructor(private readonly dir: string, private readonly launch: DetachedLauncher = spawnDetached) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async create(config: SandboxConfig): Promise<SandboxStatus> {
    const id = `s-${config.podUid}`;
    const existing = await this.read(id);
    if (existing && this.alive(existing)) return this.status(existing);
    const namespaces = config.hostNetwork ? ['--ipc', '--uts'] : ['--net', '--ipc', '--uts'];
    const script = config.hostNetwork ? HOLD_HOST_NETWORK : HOLD_NAMESPACES;
    const pid = await this.launch('unshare', [...namespaces, '--', 'sh', '-c', script, 'sh', config.hostname.slice(0, 63)])
      .catch((e: Error) => { throw new Error(`cannot start the pod sandbox: ${e.message}`); });
    // Ready once the shell has set up loopback and become `sleep`.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
      if (comm.trim() === 'sleep') break;
      if (comm === '' || Date.now() > deadline) throw new Error(`cannot start the pod sandbox: namespace holder ${comm === '' ? 'exited' : 'did not become ready'}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const record: SandboxRecord = { id, podUid: config.podUid, namespace: config.namespace, name: config.name, pid, startTime: processStartTime(pid) ?? '' };
    await writeFile(join(this.dir, `${id}.json`), JSON.stringify(record));
    return this.status(record);
  }

  async remove(id: string): Promise<void> {
    const record = await this.read(id);
    if (record && this.alive(record)) {
      try { process.kill(record.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    await rm(join(this.dir, `${id}.json`), { force: true });
  }

  async get(id: string): Promise<SandboxStatus | undefined> {
    const record = await this.read(id);
    return record ? this.status(record) : undefined;
  }

  async list(): Promise<SandboxStatus[]> {
    const out: SandboxStatus[] = [];
    for (const file of await readdir(this.dir)) {
      if (!file.endsWith('.json')) continue;
      const record = await this.read(file.slice(0, -5));
      if (record) out.push(this.status(record));
    }
    return out;
  }

  private alive(record: SandboxRecord): boolean {
    return existsSync(`/proc/${record.pid}`) && processStartTime(record.pid) === record.startTime;
  }

  private status(record: SandboxRecord): SandboxStatus {
    const ready = this.alive(record);
    return {
      id: record.id,
      podUid: record.podUid,
      namespace: record.namespace,
      name: record.name,
      ready,
      ...(ready ? { netnsPath: `/proc/${record.pid}/ns/net` } : {}),
    };
  }

  private async read(id: string): Promise<SandboxRecord | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, `${id}.json`), 'utf8')) as SandboxRecord;
    } catch {
      return undefined;
    }
  }

  /** Namespace paths a container of this sandbox joins. */
  async namespacePaths(id: string): Promise<{ network: string; ipc: string; uts: string }> {
    const record = await this.read(id);
    if (!record || !this.alive(record)) throw new Error(`pod sandbox ${id} is not running`);
    const ns = (kind: string) => `/proc/${record.pid}/ns/${kind}`;
    return { network: ns('net'), ipc: ns('ipc'), uts: ns('uts') };
  }
}

// Pod sandboxes: a long-running `sleep` in fresh network, IPC and UTS namespaces (loopback up,
// hostname = pod name). The pod's containers join those namespaces through /proc/<pid>/ns/*, so
// they reach each other on localhost. The process is detached: it outlives an agent restart.
//
// The holder is busybox (busybox-static, which the image catalogue needs anyway): its `unshare`,
// `sh`, `ip`, `hostname` and `sleep` are one static binary whose applets the shell runs without a
// new exec, where util-linux + dash + iproute2 + coreutils cost five dynamically linked program
// starts per pod. It prints `ready` and closes its stdout as it becomes `sleep`, so the launcher
// tells readiness without /proc being polled.
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

export const BUSYBOX = '/bin/busybox';
const READY = 'ready';
const HOLD_NAMESPACES = `ip link set lo up && hostname "$1" && echo ${READY} && exec sleep infinity >/dev/null`;
const HOLD_HOST_NETWORK = `hostname "$1" && echo ${READY} && exec sleep infinity >/dev/null`;

function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Starts a program detached (own session, stdout a pipe) and resolves once it has closed its
 * stdout, with its pid and what it wrote there.
 */
export type DetachedLauncher = (file: string, args: string[]) => Promise<{ pid: number; stdout: string }>;

const spawnDetached: DetachedLauncher = (file, args) => new Promise((resolve, reject) => {
  const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  child.once('error', reject);
  if (!child.pid) return;
  const pid = child.pid;
  child.unref();
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stdout.once('close', () => resolve({ pid, stdout }));
});

export class Sandboxes {
  /** The records this process wrote or read: the start path reads them several times per pod. */
  private readonly records = new Map<string, SandboxRecord>();

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
    const { pid, stdout } = await this.launch(BUSYBOX, ['unshare', ...namespaces, '--', BUSYBOX, 'sh', '-c', script, 'sh', config.hostname.slice(0, 63)])
      .catch((e: Error) => { throw new Error(`cannot start the pod sandbox: ${e.message}`); });
    const startTime = processStartTime(pid);
    if (!stdout.includes(READY) || !startTime) throw new Error('cannot start the pod sandbox: namespace holder exited');
    const record: SandboxRecord = { id, podUid: config.podUid, namespace: config.namespace, name: config.name, pid, startTime };
    await writeFile(join(this.dir, `${id}.json`), JSON.stringify(record));
    this.records.set(id, record);
    return this.status(record, true);
  }

  async remove(id: string): Promise<void> {
    const record = await this.read(id);
    if (record && this.alive(record)) {
      try { process.kill(record.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    await rm(join(this.dir, `${id}.json`), { force: true });
    this.records.delete(id);
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

  /** `alive` when just checked: each check reads /proc/<pid>/stat. */
  private status(record: SandboxRecord, alive?: boolean): SandboxStatus {
    const ready = alive ?? this.alive(record);
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
    const known = this.records.get(id);
    if (known) return known;
    const file = join(this.dir, `${id}.json`);
    // A new pod's sandbox has no record yet: no failed read (and its exception) on the start path.
    if (!existsSync(file)) return undefined;
    try {
      const record = JSON.parse(await readFile(file, 'utf8')) as SandboxRecord;
      this.records.set(id, record);
      return record;
    } catch {
      return undefined;
    }
  }

  /** The pod's name (the containers' hostname) and the namespace paths its containers join. */
  async forContainer(id: string): Promise<{ name: string; namespaces: { network: string; ipc: string; uts: string } }> {
    const record = await this.read(id);
    if (!record || !this.alive(record)) throw new Error(`pod sandbox ${id} is not running`);
    const ns = (kind: string) => `/proc/${record.pid}/ns/${kind}`;
    return { name: record.name, namespaces: { network: ns('net'), ipc: ns('ipc'), uts: ns('uts') } };
  }
}

// The hollow runtime: containers "run" without any process, so one machine can host thousands of
// simulated nodes. A container whose command line contains `exit <n>` exits with n after the delay.
import { randomUUID } from 'node:crypto';
import type {
  ContainerConfig,
  ContainerResources,
  ContainerRuntime,
  ContainerStats,
  ContainerStatus,
  ExecProcess,
  ExecResult,
  NetworkCheck,
  PullPolicy,
  SandboxConfig,
  SandboxStatus,
} from '../node-agent/runtime.js';

export interface HollowOptions {
  /** Time from start to running, in milliseconds. */
  startDelayMs: number;
}

const EXIT_PATTERN = /\bexit (\d+)\b/;
/** Usage reported for containers without requests: 1m CPU and 4 MiB. */
const DEFAULT_CPU_MILLIS = 1;
const DEFAULT_MEMORY_BYTES = 4 * 2 ** 20;

type HollowContainer = ContainerStatus & { exitAfter?: number; resources: ContainerResources };

export class HollowRuntime implements ContainerRuntime {
  private readonly sandboxes = new Map<string, SandboxStatus>();
  private readonly containers = new Map<string, HollowContainer>();
  private readonly listeners = new Set<(id: string) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: HollowOptions = { startDelayMs: 0 }) {}

  async version(): Promise<string> {
    return 'hollow://0.1.0';
  }

  async ensureImage(image: string, _policy: PullPolicy): Promise<string> {
    return image;
  }

  async createSandbox(config: SandboxConfig): Promise<SandboxStatus> {
    const sandbox: SandboxStatus = { id: `hollow-${config.podUid}`, podUid: config.podUid, namespace: config.namespace, name: config.name, ready: true };
    this.sandboxes.set(sandbox.id, sandbox);
    return { ...sandbox };
  }

  async removeSandbox(id: string): Promise<void> {
    this.sandboxes.delete(id);
    for (const [cid, c] of this.containers) if (c.sandboxId === id) this.containers.delete(cid);
  }

  async listSandboxes(): Promise<SandboxStatus[]> {
    return [...this.sandboxes.values()].map((s) => ({ ...s }));
  }

  async createContainer(config: ContainerConfig): Promise<string> {
    const id = randomUUID();
    const commandLine = [...(config.command ?? []), ...(config.args ?? [])].join(' ');
    const exit = EXIT_PATTERN.exec(commandLine);
    this.containers.set(id, {
      id,
      sandboxId: config.sandboxId,
      podUid: config.podUid,
      name: config.name,
      attempt: config.attempt,
      image: config.image,
      imageRef: config.image,
      state: 'created',
      createdAt: new Date().toISOString(),
      logPath: config.logPath,
      resources: config.resources,
      ...(exit ? { exitAfter: Number(exit[1]) } : {}),
    });
    return id;
  }

  /** Resolves once the container "runs" (after the configured delay), as a real start does. */
  async startContainer(id: string): Promise<void> {
    const c = this.mustGet(id);
    if (this.options.startDelayMs > 0) await new Promise<void>((resolve) => this.later(this.options.startDelayMs, resolve));
    c.state = 'running';
    c.startedAt = new Date().toISOString();
    const exitCode = c.exitAfter;
    if (exitCode !== undefined) this.later(1, () => this.finish(c, exitCode));
  }

  async stopContainer(id: string, _graceSeconds: number): Promise<void> {
    const c = this.containers.get(id);
    if (c && c.state !== 'exited') this.finish(c, 137);
  }

  async removeContainer(id: string): Promise<void> {
    this.containers.delete(id);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const c = this.containers.get(id);
    if (!c) return undefined;
    const { resources: _resources, ...status } = c;
    return status;
  }

  /**
   * Synthetic but deterministic usage, so scale tests can use `kubectl top`: the container "uses"
   * exactly its CPU request (CPU time grows at that rate from its start) and its memory request.
   */
  async containerStats(id: string): Promise<ContainerStats | undefined> {
    const c = this.containers.get(id);
    if (!c || c.state !== 'running' || !c.startedAt) return undefined;
    const now = Date.now();
    const cpuMillis = c.resources.cpuRequestMillis ?? DEFAULT_CPU_MILLIS;
    const ranMs = Math.max(0, now - Date.parse(c.startedAt));
    return { cpuUsageNanoSeconds: Math.round(cpuMillis * 1e6 * (ranMs / 1000)), memoryWorkingSetBytes: c.resources.memoryRequestBytes ?? DEFAULT_MEMORY_BYTES, timestampMs: now };
  }

  async listContainers(): Promise<ContainerStatus[]> {
    return [...this.containers.values()].map(({ resources: _resources, ...c }) => c);
  }

  onExit(listener: (id: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async exec(id: string, _command: string[], _timeoutMs: number): Promise<ExecResult> {
    this.mustGet(id);
    return { exitCode: 0, output: '' };
  }

  execStream(id: string, _command: string[], _tty?: { cols: number; rows: number }): ExecProcess {
    this.mustGet(id);
    return { writeStdin: () => undefined, closeStdin: () => undefined, onStdout: () => undefined, onStderr: () => undefined, exited: Promise.resolve(0), kill: () => undefined };
  }

  async checkNetwork(_sandboxId: string, _check: NetworkCheck, _timeoutMs: number): Promise<{ ok: boolean }> {
    return { ok: true };
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.listeners.clear();
  }

  private finish(c: ContainerStatus, exitCode: number): void {
    c.state = 'exited';
    c.exitCode = exitCode;
    c.reason = exitCode === 0 ? 'Completed' : 'Error';
    c.finishedAt = new Date().toISOString();
    for (const l of this.listeners) l(c.id);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => { this.timers.delete(t); fn(); }, ms);
    this.timers.add(t);
  }

  private mustGet(id: string): HollowContainer {
    const c = this.containers.get(id);
    if (!c) throw new Error(`container ${id} not found`);
    return c;
  }
}

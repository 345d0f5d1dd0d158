// The node's resource metrics (the kubelet's part of `kubectl top`): every resolution period the
// agent samples the node's cumulative CPU and memory working set and, through the runtime's
// `containerStats`, every running container's. It keeps the last two samples and answers
// `kite.node.<node>.metrics` with rates over the window between them (nanocores = ΔCPU-ns / Δt),
// as metrics-server computes them from two kubelet scrapes.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bus, BusSubscription } from '../../kernel/bus/types.js';
import { subjects } from '../../kernel/bus/types.js';
import { METRICS_CALL, type PodUsage, type ResourceMetricsReply, type ResourceMetricsRequest, type ResourceUsage, type UsageWindow } from '../../kernel/api/metrics-api/protocol.js';
import type { Logger } from '../../kernel/log.js';
import { readCgroupV1Usage } from '../../kernel/process/cgroup-v1.js';
import type { PodWorker } from './pod-worker.js';
import type { ContainerRuntime } from './runtime.js';

/** Cumulative CPU (ns) and working set (bytes) read at one time. */
interface Sample {
  cpuNs: number;
  memoryBytes: number;
  atMs: number;
}

/** The last two samples of one container (or of the node). */
interface SamplePair {
  previous?: Sample;
  latest: Sample;
}

interface ContainerSamples extends SamplePair {
  podUid: string;
  name: string;
}

/** /proc/stat's `cpu` line is in USER_HZ ticks, 100 per second on Linux. */
const NS_PER_TICK = 1e7;
const CGROUP_V1_ROOT = '/sys/fs/cgroup';

/**
 * The host's cumulative CPU time and memory working set. As cAdvisor for the kubelet: the root
 * cgroup (v1: cpuacct.usage; memory.usage_in_bytes minus total_inactive_file). Without v1
 * hierarchies: /proc/stat (user + nice + system + irq + softirq + steal; guest time is inside user)
 * and /proc/meminfo (MemTotal − MemFree − Inactive(file)).
 */
export async function readHostSample(cgroupRoot = CGROUP_V1_ROOT): Promise<Sample> {
  const root = await readCgroupV1Usage(join(cgroupRoot, 'cpuacct'), join(cgroupRoot, 'memory'));
  if (root) return { cpuNs: root.cpuNs, memoryBytes: root.workingSetBytes, atMs: Date.now() };
  const [stat, meminfo] = await Promise.all([readFile('/proc/stat', 'utf8'), readFile('/proc/meminfo', 'utf8')]);
  const ticks = (stat.split('\n', 1)[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
  const kib = (key: string) => Number(new RegExp(`^${key.replace(/[()]/g, '\\$&')}:\\s+(\\d+) kB$`, 'm').exec(meminfo)?.[1] ?? 0) * 1024;
  const used = kib('MemTotal') - kib('MemFree');
  return { cpuNs: (user + nice + system + irq + softirq + steal) * NS_PER_TICK, memoryBytes: Math.max(0, used - kib('Inactive(file)')), atMs: Date.now() };
}

/** CPU rate and window between two samples; undefined without two (or with a counter that went back). */
function rate(pair: SamplePair | undefined): (UsageWindow & ResourceUsage) | undefined {
  const prev = pair?.previous;
  if (!pair || !prev) return undefined;
  const seconds = (pair.latest.atMs - prev.atMs) / 1000;
  if (!(seconds > 0) || pair.latest.cpuNs < prev.cpuNs) return undefined;
  return {
    timestamp: new Date(pair.latest.atMs).toISOString().replace(/\.\d+Z$/, 'Z'),
    windowSeconds: seconds,
    cpuNanoCores: Math.round((pair.latest.cpuNs - prev.cpuNs) / seconds),
    memoryBytes: pair.latest.memoryBytes,
  };
}

export interface ResourceMetricsDeps {
  bus: Bus;
  nodeName: string;
  runtime: ContainerRuntime;
  logger: Logger;
  /** Sampling period (the agent's `metricsResolutionSeconds`). */
  resolutionSeconds: number;
  /** Hollow nodes have no host of their own: their usage is the sum of their pods'. */
  hollow: boolean;
  /** The pods the agent runs now. */
  pods: () => Iterable<PodWorker>;
  /** Host readings (tests replace it). */
  readHost?: () => Promise<Sample>;
}

export class ResourceMetrics {
  private readonly containers = new Map<string, ContainerSamples>();
  private host?: SamplePair;
  private timer?: NodeJS.Timeout;
  private subscription?: BusSubscription;
  private sampling?: Promise<void>;

  constructor(private readonly deps: ResourceMetricsDeps) {}

  /** Takes the first sample at once, then one per resolution period; answers the bus. */
  start(): void {
    this.subscription = this.deps.bus.serve(subjects.node(this.deps.nodeName, METRICS_CALL), (req) => this.answer(req.data.length ? req.json<ResourceMetricsRequest>() : { want: 'pods' }));
    void this.sampleOnce();
    this.timer = setInterval(() => void this.sampleOnce(), this.deps.resolutionSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.subscription?.unsubscribe();
  }

  /** One sampling round (never two at once: a slow round makes the next one wait). */
  sampleOnce(): Promise<void> {
    this.sampling ??= this.sample()
      .catch((e: unknown) => this.deps.logger.warn('resource metrics sampling failed', { error: e as Error }))
      .finally(() => { this.sampling = undefined; });
    return this.sampling;
  }

  private async sample(): Promise<void> {
    const { runtime } = this.deps;
    const seen = new Set<string>();
    if (runtime.containerStats) {
      const reads: Promise<void>[] = [];
      for (const worker of this.deps.pods()) {
        for (const record of worker.records.values()) {
          const c = record.current;
          if (!c || c.state === 'exited') continue;
          seen.add(c.id);
          reads.push(runtime.containerStats(c.id).then((stats) => {
            if (!stats) return void this.containers.delete(c.id);
            const latest = { cpuNs: stats.cpuUsageNanoSeconds, memoryBytes: stats.memoryWorkingSetBytes, atMs: stats.timestampMs };
            const before = this.containers.get(c.id);
            this.containers.set(c.id, { podUid: worker.uid, name: record.name, latest, ...(before ? { previous: before.latest } : {}) });
          }));
        }
      }
      await Promise.all(reads);
    }
    for (const id of this.containers.keys()) if (!seen.has(id)) this.containers.delete(id);
    if (!this.deps.hollow) {
      const latest = await (this.deps.readHost ?? readHostSample)();
      this.host = { latest, ...(this.host ? { previous: this.host.latest } : {}) };
    }
  }

  /** What the agent has now: the node's usage and its running pods'. */
  answer(req: ResourceMetricsRequest): ResourceMetricsReply {
    if (req.want === 'pods') return { pods: this.podUsage() };
    const node = this.deps.hollow ? sumOf(this.podUsage(), this.deps.resolutionSeconds) : rate(this.host);
    return { ...(node ? { node } : {}), pods: [] };
  }

  private podUsage(): PodUsage[] {
    const byPod = new Map<string, PodUsage>();
    const workers = new Map([...this.deps.pods()].map((w) => [w.uid, w]));
    for (const samples of this.containers.values()) {
      const usage = rate(samples);
      const worker = workers.get(samples.podUid);
      if (!usage || !worker) continue;
      let pod = byPod.get(samples.podUid);
      if (!pod) {
        const meta = worker.current.metadata;
        pod = { namespace: meta.namespace ?? 'default', name: meta.name ?? '', uid: samples.podUid, timestamp: usage.timestamp, windowSeconds: usage.windowSeconds, containers: [] };
        byPod.set(samples.podUid, pod);
      }
      pod.containers.push({ name: samples.name, cpuNanoCores: usage.cpuNanoCores, memoryBytes: usage.memoryBytes });
    }
    for (const pod of byPod.values()) pod.containers.sort((a, b) => a.name.localeCompare(b.name));
    return [...byPod.values()];
  }
}

/** A hollow node's usage: its pods' together (zero, with the resolution as window, when it has none). */
function sumOf(pods: PodUsage[], resolutionSeconds: number): UsageWindow & ResourceUsage {
  const first = pods[0];
  let cpuNanoCores = 0;
  let memoryBytes = 0;
  for (const p of pods) for (const c of p.containers) { cpuNanoCores += c.cpuNanoCores; memoryBytes += c.memoryBytes; }
  return { timestamp: first?.timestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'), windowSeconds: first?.windowSeconds ?? resolutionSeconds, cpuNanoCores, memoryBytes };
}

// One benchmark run: a fresh nats-server and store, hollow nodes and init pods created through the
// store, the scheduler (one scorer path) running in this process, then the measured pods; the
// bound count (bindings observed back through the store's watch) is sampled every second.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from 'nats';
import { Registry } from 'prom-client';
import { Progress, summarize } from '../../../kernel/bench/report.js';
import { createLogger } from '../../../kernel/log.js';
import { startEmbeddedNats } from '../../../kernel/nats/embedded.js';
import { ResourceRegistry } from '../../../kernel/objects/registry.js';
import type { KubeObject, ResourceKey } from '../../../kernel/objects/types.js';
import { createAdmission } from '../../../kernel/objects/validation/mod.js';
import { openObjectStore } from '../../../kernel/store/mod.js';
import type { ObjectStore } from '../../../kernel/store/types.js';
import { NAMESPACES, NODES, PODS } from '../binding.js';
import type { Pod } from '../framework/interfaces.js';
import { createScheduler } from '../scheduler.js';
import { PodCreator } from './creator.js';
import { pipelined } from './pipelined.js';
import type { Size, Workload } from './workloads.js';

export type ScorerPath = 'wasm' | 'reference';

const SERVICES: ResourceKey = { group: '', resource: 'services', namespaced: true };
const KEYS: Record<'nodes' | 'pods' | 'services', ResourceKey> = { nodes: NODES, pods: PODS, services: SERVICES };

export interface RunResult {
  workload: string;
  path: ScorerPath;
  nodes: number;
  initPods: number;
  measurePods: number;
  /** Measured pods / seconds from the first measured create to the last binding seen. */
  podsPerSecond: number;
  seconds: number;
  /** Pods bound in each 1-second interval of the measurement. */
  samples: number[];
  throughput: { p50: number; p90: number; p99: number };
  /** scheduler_scheduling_attempt_duration_seconds, every attempt during the measurement, in ms. */
  attemptLatencyMs: { count: number; p50: number; p90: number; p99: number };
  attempts: { scheduled: number; unschedulable: number; error: number };
  /** Cores used during the measurement: this process (scheduler + store client + pod creator) and nats-server. */
  cpu: { processCores: number; natsServerCores: number; schedulerThreadMsPerPod: number; allMsPerPod: number };
  /** Time per measured attempt in each extension point (scheduler_framework_extension_point_duration_seconds), ms. */
  extensionPointMs: Record<string, number>;
  /** Wall time of the synchronous scheduling algorithm (PreFilter → Filter → PreScore → Score) per measured attempt, ms. */
  algorithmMsPerAttempt: number;
}

/** utime + stime of a process (or, with `tid`, one of its threads) in seconds (Linux /proc), or NaN elsewhere. */
function processCpuSeconds(pid: number, tid?: number): number {
  try {
    const fields = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Sum of the extension point histogram per extension point, in seconds. */
async function extensionPointSums(metrics: Registry): Promise<Map<string, number>> {
  const m = (await metrics.getSingleMetric('scheduler_framework_extension_point_duration_seconds')?.get()) as { values: { labels: Record<string, string>; metricName?: string; value: number }[] } | undefined;
  const out = new Map<string, number>();
  for (const v of m?.values ?? []) {
    if (!v.metricName?.endsWith('_sum')) continue;
    const p = v.labels.extension_point ?? '';
    out.set(p, (out.get(p) ?? 0) + v.value);
  }
  return out;
}

export interface RunOptions {
  timeoutMs: number;
  /** Pods created concurrently through the store. */
  createWindow?: number;
  /** Labels the TTY progress line. */
  label?: string;
}


async function waitUntil(what: string, done: () => boolean, timeoutMs: number, tick?: () => void): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    tick?.();
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Nearest-rank percentile over a copy (1-second samples are few). */
function pct(values: number[], p: number): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return 0;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export async function runWorkload(w: Workload, size: Size, path: ScorerPath, opts: RunOptions): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'kite-bench-scheduler-'));
  const server = await startEmbeddedNats({ dataDir: dir });
  const logger = createLogger({}, 'error');
  const window = opts.createWindow ?? 100;
  let store: ObjectStore | undefined;
  let nc: Awaited<ReturnType<typeof connect>> | undefined;
  let stopScheduler: (() => Promise<void>) | undefined;
  let churnTimer: NodeJS.Timeout | undefined;
  let creator: PodCreator | undefined;
  try {
    nc = await connect({ servers: server.url });
    store = await openObjectStore(nc, { admission: createAdmission(new ResourceRegistry()), logger });
    const s0 = store;
    for (const ns of ['default', ...w.namespaces]) await s0.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await pipelined(size.nodes, 200, (i) => s0.create(NODES, w.node(i)));

    const metrics = new Registry();
    const scheduler = await createScheduler({
      store: s0,
      logger,
      metrics,
      config: { scorer: path, percentageOfNodesToScore: 100, maxNodes: size.nodes + 64, leaderElection: { leaderElect: false } },
    });
    stopScheduler = () => scheduler.stop();
    // Bound pods, as the scheduler's own pod watch sees them: the binding made it through the store.
    const bound = { init: new Set<string>(), measure: new Set<string>() };
    const count = (p: Pod) => {
      if (!p.spec?.nodeName) return;
      const name = p.metadata.name ?? '';
      if (name.startsWith('init-')) bound.init.add(name);
      else if (name.startsWith('measure-')) bound.measure.add(name);
    };
    scheduler.pods.addHandler({ add: count, update: (_old, p) => count(p), delete: () => undefined });
    await scheduler.start();

    const progress = new Progress(opts.label ?? `${w.name} ${path}`, size.initPods + size.measurePods);
    const tick = () => progress.tick(bound.init.size + bound.measure.size);
    creator = new PodCreator(server.url);
    await creator.create(w.name, 'init', size.initPods, window);
    await waitUntil(`${size.initPods} init pods bound`, () => bound.init.size >= size.initPods, opts.timeoutMs, tick);
    await scheduler.waitForIdle(opts.timeoutMs);

    // Measurement: attempt latencies straight from the upstream-named histogram's observations.
    const attemptMs: number[] = [];
    const hist = scheduler.metrics.schedulingAttemptDuration;
    const observe = hist.observe.bind(hist);
    hist.observe = ((labels: never, value: number) => {
      attemptMs.push(value * 1000);
      return observe(labels, value);
    }) as typeof hist.observe;
    const statsBefore = { ...scheduler.stats };
    // Bench-only timing of the algorithm: what the scheduling loop spends before binding starts.
    let algorithmMs = 0;
    let algorithmCalls = 0;
    const algorithm = scheduler.algorithm;
    const schedule = algorithm.schedule.bind(algorithm);
    algorithm.schedule = ((...a: Parameters<typeof schedule>) => {
      const t = performance.now();
      try {
        return schedule(...a);
      } finally {
        algorithmMs += performance.now() - t;
        algorithmCalls++;
      }
    }) as typeof algorithm.schedule;
    if (w.churn) {
      const churn = w.churn;
      let round = 0;
      let previous: { resource: 'nodes' | 'pods' | 'services'; obj: KubeObject }[] = [];
      churnTimer = setInterval(() => {
        const objs = churn.objects(round++);
        const old = previous;
        previous = objs;
        // Recreate mode: the new objects appear, last round's go away; failures only skew load.
        for (const o of objs) void s0.create(KEYS[o.resource], o.obj).catch(() => undefined);
        for (const o of old) void s0.delete(KEYS[o.resource], o.obj.metadata.namespace, o.obj.metadata.name ?? '').catch(() => undefined);
      }, churn.intervalMs);
    }
    const samples: number[] = [];
    const points0 = await extensionPointSums(metrics);
    const cpu0 = process.cpuUsage();
    const nats0 = processCpuSeconds(server.pid);
    // The main thread's id is the process id: the scheduler's own CPU, without the pod creator's thread.
    const thread0 = processCpuSeconds(process.pid, process.pid);
    const t0 = performance.now();
    let lastCount = 0;
    let lastSample = t0;
    const sampler = setInterval(() => {
      const n = bound.measure.size;
      samples.push(n - lastCount);
      lastCount = n;
      lastSample = performance.now();
    }, 1000);
    try {
      await creator.create(w.name, 'measure', size.measurePods, window);
      await waitUntil(`${size.measurePods} measured pods bound`, () => bound.measure.size >= size.measurePods, opts.timeoutMs, tick);
    } finally {
      clearInterval(sampler);
      clearInterval(churnTimer);
      progress.done();
    }
    const t1 = performance.now();
    const cpu1 = process.cpuUsage(cpu0);
    const nats1 = processCpuSeconds(server.pid);
    const thread1 = processCpuSeconds(process.pid, process.pid);
    // The last partial second, scaled to a rate, when it is long enough to mean something.
    const tail = (t1 - lastSample) / 1000;
    if (tail >= 0.25 || (samples.length === 0 && tail > 0)) samples.push(Math.round((bound.measure.size - lastCount) / tail));
    const seconds = (t1 - t0) / 1000;
    const lat = summarize(attemptMs);
    const stats = scheduler.stats;
    const points1 = await extensionPointSums(metrics);
    const extensionPointMs: Record<string, number> = {};
    const attempts = Math.max(1, lat.count);
    for (const [p, v] of points1) {
      const ms = ((v - (points0.get(p) ?? 0)) * 1000) / attempts;
      if (ms > 0) extensionPointMs[p] = Math.round(ms * 1000) / 1000;
    }
    return {
      workload: w.name,
      path,
      nodes: size.nodes,
      initPods: size.initPods,
      measurePods: size.measurePods,
      podsPerSecond: size.measurePods / seconds,
      seconds,
      samples,
      throughput: { p50: pct(samples, 50), p90: pct(samples, 90), p99: pct(samples, 99) },
      attemptLatencyMs: { count: lat.count, p50: lat.p50, p90: lat.p90, p99: lat.p99 },
      attempts: { scheduled: stats.scheduled - statsBefore.scheduled, unschedulable: stats.unschedulable - statsBefore.unschedulable, error: stats.error - statsBefore.error },
      cpu: {
        processCores: (cpu1.user + cpu1.system) / 1e6 / seconds,
        natsServerCores: (nats1 - nats0) / seconds,
        schedulerThreadMsPerPod: ((thread1 - thread0) * 1000) / size.measurePods,
        allMsPerPod: (((cpu1.user + cpu1.system) / 1e6 + nats1 - nats0) * 1000) / size.measurePods,
      },
      extensionPointMs,
      algorithmMsPerAttempt: algorithmCalls ? algorithmMs / algorithmCalls : 0,
    };
  } finally {
    clearInterval(churnTimer);
    await creator?.close().catch(() => undefined);
    await stopScheduler?.().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await nc?.close().catch(() => undefined);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

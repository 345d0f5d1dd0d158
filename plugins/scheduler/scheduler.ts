// The scheduler: informers feed the cache and the queue; one loop takes a pod at a time through
// the scheduling cycle (cycle.ts) and hands it to an asynchronous binding cycle. createScheduler()
// is the API the plugin, `kite scheduler explain` and the benchmark use.
import type { Registry } from 'prom-client';
import { EventRecorder } from '../../kernel/events/recorder.js';
import { Informer } from '../../kernel/controller/informer.js';
import type { Logger } from '../../kernel/log.js';
import type { KubeObject } from '../../kernel/objects/types.js';
import type { ObjectStore } from '../../kernel/store/types.js';
import { ReferenceScorer } from '../../wasm/score/reference.js';
import { WasmScorer } from '../../wasm/score/score-wasm.js';
import type { NodeScorer } from '../../wasm/score/types.js';
import { NAMESPACES, NODES, PODS, PRIORITY_CLASSES } from './binding.js';
import { SchedulerCache, type CacheSnapshot } from './cache.js';
import { parseSchedulerConfig, validateProfiles, type SchedulerConfig } from './config.js';
import { SchedulingAlgorithm } from './cycle.js';
import type { Node, Pod, PluginFactory, WaitingPod } from './framework/interfaces.js';
import { Framework } from './framework/runtime.js';
import { FrameworkHandle, type PriorityClassInfo } from './handle.js';
import { schedulerMetrics, type SchedulerMetrics } from './metrics.js';
import { SchedulingQueue, queueKey } from './queue.js';
import { inTreeFactories, loadOutOfTreeFactories, registryOf } from './registry.js';
import { nodeUpdateActions, podIsTerminal, SchedulingLoop } from './loop.js';
import type { ListedResource } from './plugins/listers.js';
import type { EventResource } from './framework/interfaces.js';
import type { ResourceKey } from '../../kernel/objects/types.js';

/**
 * What the scheduler watches for plugins besides nodes and pods (plugins/listers.ts). PodDisruptionBudgets
 * and ReplicationControllers are not served by Kite's API yet, so they are "not watched".
 */
const LISTED: Partial<Record<ListedResource, { key: ResourceKey; event?: EventResource }>> = {
  services: { key: { group: '', resource: 'services', namespaced: true } },
  replicasets: { key: { group: 'apps', resource: 'replicasets', namespaced: true } },
  statefulsets: { key: { group: 'apps', resource: 'statefulsets', namespaced: true } },
  persistentvolumeclaims: { key: { group: '', resource: 'persistentvolumeclaims', namespaced: true }, event: 'PersistentVolumeClaim' },
  persistentvolumes: { key: { group: '', resource: 'persistentvolumes', namespaced: false }, event: 'PersistentVolume' },
  storageclasses: { key: { group: 'storage.k8s.io', resource: 'storageclasses', namespaced: false }, event: 'StorageClass' },
};

export interface CreateSchedulerOptions {
  store: ObjectStore;
  logger: Logger;
  metrics: Registry;
  /** A parsed config, or raw KubeSchedulerConfiguration options (undefined = defaults). */
  config?: SchedulerConfig | unknown;
  /** Factories added to the in-tree registry (tests, embedders). */
  factories?: PluginFactory[];
  /** Directory relative outOfTreePlugins / scoreKernel paths resolve against. */
  baseDir?: string;
  /** Replace the in-tree registry entirely (tests before the built-in plugins exist). */
  inTree?: PluginFactory[];
}

function isParsed(c: unknown): c is SchedulerConfig {
  return typeof c === 'object' && c !== null && Array.isArray((c as SchedulerConfig).profiles) && typeof (c as SchedulerConfig).maxNodes === 'number';
}

export async function createScheduler(opts: CreateSchedulerOptions): Promise<Scheduler> {
  const config = isParsed(opts.config) ? opts.config : parseSchedulerConfig(opts.config);
  const outOfTree = await loadOutOfTreeFactories(config.outOfTreePlugins, opts.baseDir);
  const registry = registryOf(opts.inTree ?? inTreeFactories(), outOfTree, opts.factories ?? []);
  const args = validateProfiles(config, registry);
  return new Scheduler(opts, config, registry, args);
}

export class Scheduler {
  readonly config: SchedulerConfig;
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  readonly frameworks = new Map<string, Framework>();
  readonly metrics: SchedulerMetrics;
  /** One event recorder per profile: events carry the profile's schedulerName as their source. */
  readonly recorders = new Map<string, EventRecorder>();
  readonly store: ObjectStore;
  readonly logger: Logger;
  readonly nodes: Informer<Node>;
  readonly pods: Informer<Pod>;
  readonly namespaces: Informer<KubeObject>;
  readonly priorityClassInformer: Informer<KubeObject>;
  /** Informers behind Handle.listObjects / getObject. */
  readonly listers = new Map<ListedResource, Informer<KubeObject>>();
  snapshot: CacheSnapshot;
  readonly algorithm: SchedulingAlgorithm;
  private readonly loop: SchedulingLoop;
  private readonly waiting = new Map<string, WaitingPod>();
  private priorityClassCache?: Map<string, PriorityClassInfo>;
  private informersRunning = false;
  private cleanupTimer?: NodeJS.Timeout;

  constructor(opts: CreateSchedulerOptions, config: SchedulerConfig, registry: ReadonlyMap<string, PluginFactory>, args: Map<string, unknown>[]) {
    this.config = config;
    this.store = opts.store;
    this.logger = opts.logger;
    this.metrics = schedulerMetrics(opts.metrics);
    const scorer: NodeScorer = config.scorer === 'reference' ? new ReferenceScorer(config.maxNodes) : new WasmScorer(config.maxNodes, config.scoreKernel ? { wasmPath: config.scoreKernel } : {});
    this.cache = new SchedulerCache(scorer);
    this.snapshot = this.cache.newSnapshot();
    this.algorithm = new SchedulingAlgorithm(scorer.capacity);
    config.profiles.forEach((profile, i) => {
      const recorder = new EventRecorder(opts.store, { component: profile.schedulerName }, opts.logger);
      this.recorders.set(profile.schedulerName, recorder);
      const handle = new FrameworkHandle({
        store: opts.store,
        recorder,
        schedulerName: profile.schedulerName,
        snapshot: () => this.snapshot,
        priorityClasses: () => this.priorityClasses(),
        waitingPod: (uid) => this.waiting.get(uid),
        nominatedPodsForNode: (n) => this.queue.nominatedPodsForNode(n),
        listObjects: (r, ns) => this.listers.get(r)?.list(ns),
        getObject: (r, ns, name) => {
          const inf = this.listers.get(r);
          return inf ? inf.get(ns, name) : undefined;
        },
      });
      const fwk = new Framework({ profile, args: args[i]!, factories: registry, handle, metrics: this.metrics, capacity: scorer.capacity, keyPrefix: `profiles[${i}]` });
      handle.framework = fwk;
      this.frameworks.set(profile.schedulerName, fwk);
    });
    const first = this.frameworks.values().next().value as Framework;
    const events = new Map<string, ReturnType<Framework['events']['get']>>();
    for (const f of this.frameworks.values()) for (const [n, e] of f.events) events.set(n, e);
    this.queue = new SchedulingQueue({
      less: (a, b) => first.queueSort.less(a, b),
      preEnqueue: (pod) => this.frameworkFor(pod)?.runPreEnqueue(pod) ?? { code: 'Success', reasons: [] },
      eventsOf: (plugin) => events.get(plugin),
      initialBackoffMs: config.podInitialBackoffSeconds * 1000,
      maxBackoffMs: config.podMaxBackoffSeconds * 1000,
      pendingPods: this.metrics.pendingPods,
    });
    this.nodes = new Informer<Node>(opts.store, NODES, { logger: opts.logger });
    this.pods = new Informer<Pod>(opts.store, PODS, { logger: opts.logger });
    this.namespaces = new Informer<KubeObject>(opts.store, NAMESPACES, { logger: opts.logger });
    this.priorityClassInformer = new Informer<KubeObject>(opts.store, PRIORITY_CLASSES, { logger: opts.logger });
    for (const [name, l] of Object.entries(LISTED) as [ListedResource, { key: ResourceKey; event?: EventResource }][]) {
      const inf = new Informer<KubeObject>(opts.store, l.key, { logger: opts.logger });
      const resource = l.event;
      if (resource) {
        inf.addHandler({
          add: (o) => this.queue.moveAllToActiveOrBackoffQueue({ resource, actions: ['Add'] }, undefined, o),
          update: (old, o) => this.queue.moveAllToActiveOrBackoffQueue({ resource, actions: ['Update'] }, old, o),
          delete: (o) => this.queue.moveAllToActiveOrBackoffQueue({ resource, actions: ['Delete'] }, o, undefined),
        });
      }
      this.listers.set(name, inf);
    }
    this.loop = new SchedulingLoop(this);
    this.registerHandlers();
  }

  frameworkFor(pod: Pod): Framework | undefined {
    return this.frameworks.get((pod.spec?.schedulerName as string | undefined) || 'default-scheduler');
  }

  /** Pods this scheduler takes: unassigned, not finished, with a schedulerName one of its profiles has. */
  responsibleFor(pod: Pod): boolean {
    return !pod.spec?.nodeName && !podIsTerminal(pod) && this.frameworkFor(pod) !== undefined;
  }

  priorityClasses(): ReadonlyMap<string, PriorityClassInfo> {
    if (!this.priorityClassCache) {
      const m = new Map<string, PriorityClassInfo>();
      for (const pc of this.priorityClassInformer.list()) {
        const o = pc as KubeObject & { value?: number; globalDefault?: boolean; preemptionPolicy?: string };
        m.set(pc.metadata.name ?? '', { value: o.value ?? 0, globalDefault: o.globalDefault === true, ...(o.preemptionPolicy ? { preemptionPolicy: o.preemptionPolicy } : {}) });
      }
      this.priorityClassCache = m;
    }
    return this.priorityClassCache;
  }

  private registerHandlers(): void {
    const q = this.queue;
    const c = this.cache;
    this.nodes.addHandler({
      add: (n) => {
        c.addNode(n);
        q.moveAllToActiveOrBackoffQueue({ resource: 'Node', actions: ['Add'] }, undefined, n);
      },
      update: (old, n) => {
        c.updateNode(n);
        const actions = nodeUpdateActions(old, n);
        if (actions.length > 1) q.moveAllToActiveOrBackoffQueue({ resource: 'Node', actions }, old, n);
      },
      delete: (n) => c.removeNode(n),
    });
    this.pods.addHandler({
      add: (p) => {
        if (p.spec?.nodeName) {
          if (podIsTerminal(p)) return;
          c.addPod(p);
          q.moveAllToActiveOrBackoffQueue({ resource: 'AssignedPod', actions: ['Add'] }, undefined, p);
        } else if (this.responsibleFor(p)) q.add(p);
      },
      update: (old, p) => {
        if (p.spec?.nodeName) {
          if (!old.spec?.nodeName) q.delete(p);
          if (podIsTerminal(p)) {
            c.removePod(p);
            q.moveAllToActiveOrBackoffQueue({ resource: 'AssignedPod', actions: ['Delete'] }, old, p);
            return;
          }
          if (!old.spec?.nodeName) {
            c.addPod(p);
            this.loop.forgetFailure(p);
            q.moveAllToActiveOrBackoffQueue({ resource: 'AssignedPod', actions: ['Add'] }, undefined, p);
          } else {
            c.updatePod(old, p);
            const labels = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(p.metadata.labels ?? {});
            if (labels || old.metadata.generation !== p.metadata.generation) q.moveAllToActiveOrBackoffQueue({ resource: 'AssignedPod', actions: labels ? ['Update', 'UpdatePodLabel'] : ['Update'] }, old, p);
          }
        } else if (this.responsibleFor(p)) q.update(old, p);
        else q.delete(p);
      },
      delete: (p) => {
        this.loop.forgetFailure(p);
        if (p.spec?.nodeName) {
          c.removePod(p);
          q.moveAllToActiveOrBackoffQueue({ resource: 'AssignedPod', actions: ['Delete'] }, p, undefined);
        } else {
          q.delete(p);
          this.waiting.get(p.metadata.uid ?? '')?.reject('', 'pod deleted');
        }
      },
    });
    const nsChanged = (old: KubeObject | undefined, ns: KubeObject, action: 'Add' | 'Update') => {
      c.setNamespace(ns.metadata.name ?? '', ns.metadata.labels);
      if (action === 'Add' || JSON.stringify(old?.metadata.labels ?? {}) !== JSON.stringify(ns.metadata.labels ?? {})) {
        q.moveAllToActiveOrBackoffQueue({ resource: 'Namespace', actions: action === 'Add' ? ['Add'] : ['Update'] }, old, ns);
      }
    };
    this.namespaces.addHandler({ add: (ns) => nsChanged(undefined, ns, 'Add'), update: (o, ns) => nsChanged(o, ns, 'Update'), delete: (ns) => c.deleteNamespace(ns.metadata.name ?? '') });
    const pcChanged = (action: 'Add' | 'Update' | 'Delete') => (pc: KubeObject) => {
      this.priorityClassCache = undefined;
      q.moveAllToActiveOrBackoffQueue({ resource: 'PriorityClass', actions: [action] }, undefined, pc);
    };
    this.priorityClassInformer.addHandler({ add: pcChanged('Add'), update: (_o, pc) => pcChanged('Update')(pc), delete: pcChanged('Delete') });
  }

  /** Lists and watches (nodes and namespaces before pods, so pods find their nodes); no scheduling yet. */
  async sync(): Promise<void> {
    if (this.informersRunning) return;
    this.informersRunning = true;
    await Promise.all([this.nodes.start(), this.namespaces.start(), this.priorityClassInformer.start(), ...[...this.listers.values()].map((i) => i.start())]);
    await this.pods.start();
    this.cleanupTimer = setInterval(() => this.cache.cleanupExpired(), 1000);
    this.cleanupTimer.unref();
  }

  /** Syncs the informers, then runs the scheduling loop until stop(). */
  async start(): Promise<void> {
    await this.sync();
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.queue.close();
    for (const w of [...this.waiting.values()]) w.reject('', 'scheduler stopping');
    await this.loop.stop();
    clearInterval(this.cleanupTimer);
    if (this.informersRunning) {
      this.informersRunning = false;
      await Promise.all([this.pods.stop(), this.nodes.stop(), this.namespaces.stop(), this.priorityClassInformer.stop(), ...[...this.listers.values()].map((i) => i.stop())]);
    }
  }

  /** Nothing queued in activeQ, being scheduled, binding, or being written. */
  get idle(): boolean {
    return this.queue.idle && this.loop.idle;
  }

  /** Resolves once idle (polling; backoff and unschedulable pods do not count as work). */
  async waitForIdle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.idle) {
      if (Date.now() > deadline) throw new Error(`scheduler not idle after ${timeoutMs} ms (${JSON.stringify(this.queue.counts)})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Scheduling attempts so far, by result. */
  get stats(): { scheduled: number; unschedulable: number; error: number } {
    return this.loop.stats;
  }

  addWaiting(uid: string, w: WaitingPod): void {
    this.waiting.set(uid, w);
  }

  removeWaiting(uid: string): void {
    this.waiting.delete(uid);
  }

  /** Debug and tests: where a pod is in the queue. */
  queued(pod: Pod): boolean {
    return this.queue.has(pod);
  }

  static keyOf(pod: Pod): string {
    return queueKey(pod);
  }
}

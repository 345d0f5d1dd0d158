// The node agent (kubelet role): registers the Node, heartbeats, watches the pods bound to it and
// runs each through a PodWorker on the ContainerRuntime; serves logs, exec, attach, port-forward
// and proxy (its kubelet endpoints, HTTP to pods) over the bus. Stopping the
// agent leaves containers running: a new agent adopts them from the runtime.
import { join } from 'node:path';
import type { BusSubscription } from '../../kernel/bus/types.js';
import type { Logger } from '../../kernel/log.js';
import type { Plugin } from '../../kernel/plugin/types.js';
import type { ObjectStore, Watch } from '../../kernel/store/types.js';
import type { Bus } from '../../kernel/bus/types.js';
import { Registry } from 'prom-client';
import { gaugeOn, histogramOn } from '../../kernel/plugin/metrics.js';
import { EventRecorder } from './events.js';
import { KubeletEndpoints } from './kubelet-endpoints.js';
import { serveAttach } from './attach.js';
import { serveExec } from './exec.js';
import { rotateLogs, serveLogs } from './logs.js';
import { NodeHeartbeat, defaultNodeName, hostIPv4 } from './node-status.js';
import { POD_RESOURCE, type Pod } from './pod-types.js';
import { PodWorker } from './pod-worker.js';
import { PortForwarder } from './portforward.js';
import { serveProxy } from './proxy.js';
import { ResourceMetrics } from './resource-metrics.js';
import type { ContainerRuntime, ContainerStatus, SandboxStatus } from './runtime.js';
import type { NodeAgentOptions } from './setup.js';

export interface NodeAgentDeps {
  store: ObjectStore;
  bus: Bus;
  logger: Logger;
  runtime: ContainerRuntime;
  options: NodeAgentOptions;
  /** The kernel's data directory; the agent keeps `<dataDir>/node/<nodeName>/`. */
  dataDir: string;
  /** Hollow nodes report fixed capacity and a loopback address. */
  hollow?: boolean;
  metrics?: Registry;
}

/** Upstream kubelet metric names, labelled by node (one process may run many hollow nodes). */
function agentMetrics(registry: Registry) {
  return {
    runningPods: gaugeOn(registry, { name: 'kubelet_running_pods', help: 'Number of pods that have a running pod sandbox', labelNames: ['node'] }),
    runningContainers: gaugeOn(registry, { name: 'kubelet_running_containers', help: 'Number of containers currently running', labelNames: ['node', 'container_state'] }),
    podStart: histogramOn(registry, {
      name: 'kubelet_pod_start_duration_seconds',
      help: 'Duration in seconds from the node agent seeing a pod for the first time to the pod starting to run',
      labelNames: ['node'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
    }),
  };
}

export class NodeAgent implements Plugin {
  readonly nodeName: string;
  private readonly workers = new Map<string, PodWorker>();
  /** Pods this agent has finished (late watch events for them are ignored). */
  private readonly finished = new Set<string>();
  private heartbeat?: NodeHeartbeat;
  private watch?: Watch<Pod>;
  private logs?: BusSubscription;
  private exec?: BusSubscription;
  private attach?: BusSubscription;
  private proxy?: BusSubscription;
  private portForwarder?: PortForwarder;
  private resourceMetrics?: ResourceMetrics;
  private unsubscribeExit?: () => void;
  private stopped = false;
  private rotateTimer?: NodeJS.Timeout;
  private readonly log: Logger;
  private readonly nodeDir: string;
  private readonly metrics: ReturnType<typeof agentMetrics>;
  /** The process's registry (what `nodes/<node>/proxy/metrics` shows); its own one without a host. */
  private readonly registry: Registry;

  constructor(private readonly deps: NodeAgentDeps) {
    this.nodeName = deps.options.nodeName ?? defaultNodeName();
    this.log = deps.logger.child({ node: this.nodeName });
    this.nodeDir = join(deps.dataDir, 'node', this.nodeName);
    this.registry = deps.metrics ?? new Registry();
    this.metrics = agentMetrics(this.registry);
  }

  private observeContainers(): void {
    const states: Record<string, number> = { running: 0, exited: 0, created: 0, unknown: 0 };
    let pods = 0;
    for (const w of this.workers.values()) {
      let any = false;
      for (const r of w.records.values()) {
        if (!r.current) continue;
        states[r.current.state] = (states[r.current.state] ?? 0) + 1;
        any ||= r.current.state === 'running';
      }
      if (any) pods++;
    }
    this.metrics.runningPods.set({ node: this.nodeName }, pods);
    for (const [state, n] of Object.entries(states)) this.metrics.runningContainers.set({ node: this.nodeName, container_state: state }, n);
  }

  /** The worker of a pod on this node, by namespace and name. */
  pod(namespace: string, name: string): PodWorker | undefined {
    for (const w of this.workers.values()) if (w.current.metadata.namespace === namespace && w.current.metadata.name === name) return w;
    return undefined;
  }

  async start(): Promise<void> {
    const { store, runtime, options } = this.deps;
    this.stopped = false;
    this.heartbeat = new NodeHeartbeat(
      store,
      {
        nodeName: this.nodeName,
        dataDir: this.deps.dataDir,
        runtimeVersion: await runtime.version(),
        leaseDurationSeconds: options.leaseDurationSeconds,
        ...(options.capacity ? { capacity: options.capacity } : {}),
        ...(options.labels ? { labels: options.labels } : {}),
      },
      !!this.deps.hollow,
      this.log,
      { renewSeconds: options.leaseRenewSeconds, statusReportSeconds: options.statusReportSeconds },
    );
    await this.heartbeat.start();
    this.unsubscribeExit = runtime.onExit((id) => {
      for (const w of this.workers.values()) w.containerExited(id);
    });
    this.logs = serveLogs(this.deps.bus, this.nodeName, (ns, name) => this.pod(ns, name));
    this.exec = serveExec(this.deps.bus, this.nodeName, runtime, (ns, name) => this.pod(ns, name));
    this.attach = serveAttach(this.deps.bus, this.nodeName, runtime, (ns, name) => this.pod(ns, name));
    this.portForwarder = new PortForwarder(this.deps.bus, this.nodeName, runtime, (ns, name) => this.pod(ns, name));
    this.portForwarder.serve();
    const endpoints = new KubeletEndpoints({
      nodeName: this.nodeName,
      registry: this.registry,
      pods: () => [...this.workers.values()].map((w) => w.current),
      refreshMetrics: () => this.observeContainers(),
    });
    this.proxy = serveProxy({ bus: this.deps.bus, nodeName: this.nodeName, endpoints, runtime, portForwarder: this.portForwarder, findPod: (ns, name) => this.pod(ns, name) });
    this.resourceMetrics = new ResourceMetrics({ bus: this.deps.bus, nodeName: this.nodeName, runtime, logger: this.log, resolutionSeconds: options.metricsResolutionSeconds, hollow: !!this.deps.hollow, pods: () => this.workers.values() });
    this.resourceMetrics.start();
    await this.deps.bus.flush();
    this.rotateTimer = setInterval(() => {
      this.observeContainers();
      rotateLogs(this.workers.values(), options.containerLogMaxBytes).catch((e: unknown) => this.log.warn('log rotation failed', { error: e as Error }));
    }, options.logRotateSeconds * 1000);
    const resourceVersion = await this.syncAll();
    void this.follow(resourceVersion);
    this.log.info('node agent started', { pods: this.workers.size });
  }

  /** Lists this node's pods, adopts what the runtime still runs, removes what belongs to no pod. */
  private async syncAll(): Promise<string> {
    const { store, runtime } = this.deps;
    const list = await store.list<Pod>(POD_RESOURCE, { predicate: (p) => p.spec?.nodeName === this.nodeName });
    const sandboxes = await runtime.listSandboxes();
    const containers = await runtime.listContainers();
    for (const pod of list.items) this.upsert(pod, sandboxes, containers);
    const known = new Set(list.items.map((p) => p.metadata.uid));
    // Pods deleted while the watch was down.
    for (const [uid, w] of this.workers) if (!known.has(uid)) await w.forget();
    const orphan = (uid: string) => !known.has(uid) && !this.workers.has(uid);
    for (const s of sandboxes) if (orphan(s.podUid)) await runtime.removeSandbox(s.id).catch(() => undefined);
    for (const c of containers) if (orphan(c.podUid)) await runtime.removeContainer(c.id).catch(() => undefined);
    return list.metadata.resourceVersion;
  }

  private upsert(pod: Pod, sandboxes?: SandboxStatus[], containers?: ContainerStatus[]): void {
    const uid = pod.metadata.uid!;
    const existing = this.workers.get(uid);
    if (existing) return existing.update(pod);
    if (this.finished.has(uid)) return;
    const worker = new PodWorker(
      pod,
      {
        runtime: this.deps.runtime,
        store: this.deps.store,
        events: new EventRecorder(this.deps.store, this.nodeName, this.log),
        logger: this.log,
        hostIP: this.deps.hollow ? '127.0.0.1' : hostIPv4(),
        nodeDir: this.nodeDir,
        backoff: {
          initialMs: this.deps.options.backoffInitialSeconds * 1000,
          maxMs: this.deps.options.backoffMaxSeconds * 1000,
          resetAfterMs: this.deps.options.backoffResetSeconds * 1000,
        },
        gone: (id) => {
          this.workers.delete(id);
          this.portForwarder?.release(id);
          this.finished.add(id);
          if (this.finished.size > 10_000) this.finished.delete(this.finished.values().next().value!);
        },
        started: (seconds) => this.metrics.podStart.observe({ node: this.nodeName }, seconds),
      },
      {
        sandbox: sandboxes?.find((s) => s.podUid === uid),
        containers: (containers ?? []).filter((c) => c.podUid === uid),
      },
    );
    this.workers.set(uid, worker);
    worker.kick();
  }

  private async follow(resourceVersion: string): Promise<void> {
    let rv = resourceVersion;
    while (!this.stopped) {
      try {
        this.watch = await this.deps.store.watch<Pod>(POD_RESOURCE, { resourceVersion: rv, predicate: (p) => p.spec?.nodeName === this.nodeName });
        for await (const ev of this.watch) {
          if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') continue;
          rv = ev.object.metadata.resourceVersion ?? rv;
          if (ev.type === 'DELETED') await this.workers.get(ev.object.metadata.uid!)?.forget();
          else this.upsert(ev.object);
        }
      } catch (e) {
        if (this.stopped) return;
        this.log.warn('pod watch ended; listing again', { error: e as Error });
        await new Promise((r) => setTimeout(r, 1000));
        if (!this.stopped) rv = await this.syncAll().catch(() => rv);
      }
    }
  }

  /** Stops serving; containers keep running (adopted by the next agent). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.stop();
    this.heartbeat?.stop();
    if (this.rotateTimer) clearInterval(this.rotateTimer);
    this.logs?.unsubscribe();
    this.exec?.unsubscribe();
    this.attach?.unsubscribe();
    this.proxy?.unsubscribe();
    this.portForwarder?.stop();
    this.unsubscribeExit?.();
    this.resourceMetrics?.stop();
    await Promise.all([...this.workers.values()].map((w) => w.detach()));
    this.workers.clear();
  }
}

// Node lifecycle: a node whose Lease in kube-node-lease (or Ready heartbeat) has not changed for
// the grace period gets Ready=Unknown and the `node.kubernetes.io/unreachable` taints
// (NoExecute taints added at a limited rate, so a partition does not empty a cluster at once).
// Pods on a NoExecute-tainted node are deleted after their toleration's tolerationSeconds, or
// after the default when they have no matching toleration.
import { inject, injectable } from 'tsyringe';
import { Controller, type ControllerOptions, type SyncResult } from '../../../kernel/controller/controller.js';
import type { Informer } from '../../../kernel/controller/informer.js';
import { LEASES } from '../../../kernel/controller/leader.js';
import { PODS } from '../../../kernel/controller/podcontrol.js';
import { nowTime, type Condition, type PodLike } from '../../../kernel/controller/pods.js';
import { isStatusError } from '../../../kernel/objects/status.js';
import type { KubeObject, ResourceKey } from '../../../kernel/objects/types.js';
import { Logger, MetricsRegistry, ObjectStore, PluginOptions } from '../../../kernel/tokens.js';

export const NODES: ResourceKey = { group: '', resource: 'nodes', namespaced: false };
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  timeAdded?: string;
}

interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export interface Node extends KubeObject {
  spec?: { taints?: Taint[]; [k: string]: unknown };
  status?: { conditions?: (Condition & { lastHeartbeatTime?: string })[]; [k: string]: unknown };
}

export interface NodeLifecycleOptions extends ControllerOptions {
  /** Seconds without a heartbeat before a node is Unknown (upstream node-monitor-grace-period). */
  gracePeriodSeconds: number;
  /** Eviction delay for pods without a matching toleration. */
  defaultTolerationSeconds: number;
  /** Nodes per second that get the NoExecute taint (upstream node-eviction-rate). */
  evictionsPerSecond: number;
}

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

const CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

@injectable()
export class NodeLifecycleController extends Controller {
  private readonly nodes: Informer<Node>;
  private readonly leases: Informer<KubeObject>;
  private readonly pods: Informer<PodLike>;
  /** Local time of each node's last observed heartbeat. */
  private readonly heartbeats = new Map<string, number>();
  private tokens = 1;
  private tokensAt = Date.now();

  constructor(
    @inject(ObjectStore) store: ObjectStore,
    @inject(Logger) logger: Logger,
    @inject(MetricsRegistry) metrics: MetricsRegistry,
    @inject(PluginOptions) private readonly nlOptions: NodeLifecycleOptions,
  ) {
    super('node-lifecycle', { store, logger: logger.child({ controller: 'node-lifecycle' }), metrics }, nlOptions);
    this.nodes = this.informer<Node>(NODES);
    this.leases = this.informer(LEASES, { namespace: NODE_LEASE_NAMESPACE });
    this.pods = this.informer<PodLike>(PODS);
    this.pods.addIndex('node', (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
    const beat = (name: string) => {
      this.heartbeats.set(name, Date.now());
      this.enqueue(name);
    };
    this.leases.addHandler({
      add: (l) => beat(l.metadata.name!),
      update: (o, l) => ((o.spec as { renewTime?: string })?.renewTime !== (l.spec as { renewTime?: string })?.renewTime ? beat(l.metadata.name!) : undefined),
    });
    const readyBeat = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime;
    this.nodes.addHandler({
      add: (n) => beat(n.metadata.name!),
      update: (o, n) => (readyBeat(o) !== readyBeat(n) ? beat(n.metadata.name!) : this.enqueue(n)),
      delete: (n) => this.heartbeats.delete(n.metadata.name!),
    });
  }

  /** Token bucket for NoExecute taints. */
  private takeEvictionToken(): boolean {
    const rate = this.nlOptions.evictionsPerSecond;
    const now = Date.now();
    this.tokens = Math.min(1, this.tokens + ((now - this.tokensAt) / 1000) * rate);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  protected async sync(name: string): Promise<SyncResult | void> {
    const node = this.nodes.get(undefined, name);
    if (!node) return;
    const graceMs = this.nlOptions.gracePeriodSeconds * 1000;
    const since = Date.now() - (this.heartbeats.get(name) ?? Date.now());
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    const taints = node.spec?.taints ?? [];
    const hasNoExecute = taints.some((t) => t.key === UNREACHABLE_TAINT && t.effect === 'NoExecute');
    const waits: number[] = [];
    if (since > graceMs) {
      if (ready?.status !== 'Unknown') await this.markUnknown(node);
      if (!hasNoExecute) {
        if (this.takeEvictionToken()) await this.setTaints(node, true);
        else waits.push(Math.ceil(1000 / Math.max(this.nlOptions.evictionsPerSecond, 0.001)));
      }
    } else {
      waits.push(graceMs - since + 50);
      if (ready?.status === 'True' && taints.some((t) => t.key === UNREACHABLE_TAINT)) await this.setTaints(node, false);
    }
    const current = this.nodes.get(undefined, name) ?? node;
    const noExecute = (current.spec?.taints ?? []).find((t) => t.key === UNREACHABLE_TAINT && t.effect === 'NoExecute');
    if (noExecute) {
      const wait = await this.evictPods(name, noExecute);
      if (wait !== undefined) waits.push(wait);
    }
    if (waits.length > 0) return { requeueAfterMs: Math.max(50, Math.min(...waits)) };
  }

  private async markUnknown(node: Node): Promise<void> {
    const now = nowTime();
    await this.write(node, (cur) => {
      const conditions = [...(cur.status?.conditions ?? [])];
      for (const type of CONDITIONS) {
        const i = conditions.findIndex((c) => c.type === type);
        if (i < 0) continue;
        const old = conditions[i]!;
        if (old.status === 'Unknown') continue;
        conditions[i] = { ...old, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: now };
      }
      return { ...cur, status: { ...(cur.status ?? {}), conditions } };
    });
    this.logger.info('node stopped heartbeating', { node: node.metadata.name });
  }

  private async setTaints(node: Node, unreachable: boolean): Promise<void> {
    const now = nowTime();
    await this.write(node, (cur) => {
      const others = (cur.spec?.taints ?? []).filter((t) => t.key !== UNREACHABLE_TAINT);
      const taints = unreachable ? [...others, { key: UNREACHABLE_TAINT, effect: 'NoSchedule' as const }, { key: UNREACHABLE_TAINT, effect: 'NoExecute' as const, timeAdded: now }] : others;
      const spec = { ...(cur.spec ?? {}) };
      if (taints.length > 0) spec.taints = taints;
      else delete spec.taints;
      return { ...cur, spec };
    });
  }

  /** Deletes pods whose toleration time ran out; returns ms until the next one is due. */
  private async evictPods(nodeName: string, taint: Taint): Promise<number | undefined> {
    const taintedAt = Date.parse(taint.timeAdded ?? '') || Date.now();
    let next: number | undefined;
    for (const pod of this.pods.byIndex('node', nodeName)) {
      if (pod.metadata.deletionTimestamp) continue;
      const tolerations = ((pod.spec?.tolerations ?? []) as Toleration[]).filter((t) => tolerates(t, taint));
      let seconds: number | undefined = this.nlOptions.defaultTolerationSeconds;
      if (tolerations.length > 0) {
        // The shortest bounded toleration wins; an unbounded one tolerates forever.
        const bounded = tolerations.filter((t) => t.tolerationSeconds !== undefined).map((t) => Math.max(0, t.tolerationSeconds!));
        seconds = bounded.length === tolerations.length ? Math.min(...bounded) : undefined;
      }
      if (seconds === undefined) continue;
      const due = taintedAt + seconds * 1000 - Date.now();
      if (due > 0) {
        next = Math.min(next ?? due, due);
        continue;
      }
      try {
        await this.store.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
        this.logger.info('evicted pod from unreachable node', { node: nodeName, pod: `${pod.metadata.namespace}/${pod.metadata.name}` });
      } catch (e) {
        if (!isStatusError(e, 'NotFound') && !isStatusError(e, 'Conflict')) throw e;
      }
    }
    return next;
  }

  private async write(node: Node, mutate: (n: Node) => Node): Promise<void> {
    try {
      const updated = await this.store.guaranteedUpdate<Node>(NODES, undefined, node.metadata.name!, (cur) => (cur.metadata.uid === node.metadata.uid ? mutate(cur) : undefined));
      this.nodes.assume(updated);
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
    }
  }
}

// The scheduling queue (upstream PriorityQueue): activeQ ordered by the QueueSort plugin, backoffQ
// ordered by backoff expiry, the unschedulable set (pods wait for a cluster event one of their
// rejecting plugins registered, or 5 minutes), PreEnqueue gating, and the nominator.
import type { Gauge } from 'prom-client';
import type { ActionType, ClusterEventWithHint, EventResource, Pod, PodInfo, QueuedPodInfo, Status } from './framework/interfaces.js';
import { newPodInfo } from './framework/podinfo.js';
import { KeyedHeap } from './heap.js';
import { trackPendingPods } from './metrics.js';
import type { KubeObject } from '../../kernel/objects/types.js';

/** A cluster change, as the event handlers describe it: e.g. Node with [Update, UpdateNodeLabel]. */
export interface ClusterChange {
  resource: EventResource;
  actions: readonly ActionType[];
}

export interface QueueOptions {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
  /** The PreEnqueue plugins of the pod's profile. */
  preEnqueue(pod: Pod): Status;
  /** Events a plugin registered (EnqueueExtensions); undefined = the plugin reacts to every event. */
  eventsOf(plugin: string): readonly ClusterEventWithHint[] | undefined;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Upstream podMaxInUnschedulablePodsDuration: 5 minutes. */
  maxUnschedulableMs?: number;
  pendingPods?: Gauge<'queue'>;
  now?: () => number;
}

const NONE_NOMINATED: readonly PodInfo[] = Object.freeze([]);

export class QueuedPod implements QueuedPodInfo {
  timestamp: number;
  attempts = 0;
  unschedulablePlugins = new Set<string>();
  pendingPlugins = new Set<string>();
  gated = false;
  /** Changed (or a cluster event happened) while being scheduled: retry after backoff, not on an event. */
  movedWhileInFlight = false;
  readonly initialAttemptTimestamp: number;
  constructor(public podInfo: PodInfo, now: number) {
    this.timestamp = now;
    this.initialAttemptTimestamp = now;
  }
  get key(): string {
    return queueKey(this.podInfo.pod);
  }
}

export function queueKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}

/** Did the update change something scheduling depends on (not only status or bookkeeping)? */
function podUpdated(old: Pod, pod: Pod): boolean {
  if (old.metadata.generation !== pod.metadata.generation) return true;
  // The store bumps generation on every spec change, so only metadata needs comparing.
  const json = (o: unknown) => JSON.stringify(o ?? {});
  return json(old.metadata.labels) !== json(pod.metadata.labels) || json(old.metadata.annotations) !== json(pod.metadata.annotations);
}

function eventMatches(registered: { resource: EventResource; action: ActionType }, change: ClusterChange): boolean {
  const resource = registered.resource === change.resource || (registered.resource === 'Pod' && change.resource === 'AssignedPod');
  if (!resource) return false;
  if (registered.action === 'All') return true;
  return change.actions.includes(registered.action);
}

export class SchedulingQueue {
  private readonly active: KeyedHeap<QueuedPod>;
  private readonly backoff: KeyedHeap<QueuedPod>;
  private readonly unschedulable = new Map<string, QueuedPod>();
  /** Pods PreEnqueue turned away; only their own updates re-run PreEnqueue. */
  private readonly gatedPods = new Map<string, QueuedPod>();
  private readonly inFlight = new Map<string, QueuedPod>();
  private readonly waiters: ((qp: QueuedPod | undefined) => void)[] = [];
  private readonly nominated = new Map<string, Map<string, PodInfo>>();
  private readonly nominatedNodeOf = new Map<string, string>();
  /** nominatedPodsForNode's answers, dropped when the node's nominations change (read per node per cycle). */
  private readonly nominatedLists = new Map<string, readonly PodInfo[]>();
  private backoffTimer?: NodeJS.Timeout;
  private backoffTimerAt = Infinity;
  private leftoverTimer?: NodeJS.Timeout;
  private closed = false;
  schedulingCycle = 0;
  private moveRequestCycle = -1;
  private readonly now: () => number;
  private readonly untrackMetrics?: () => void;

  constructor(private readonly opts: QueueOptions) {
    this.now = opts.now ?? Date.now;
    if (opts.pendingPods) this.untrackMetrics = trackPendingPods(opts.pendingPods, () => this.counts);
    this.active = new KeyedHeap((q) => q.key, (a, b) => opts.less(a, b));
    this.backoff = new KeyedHeap((q) => q.key, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
    this.leftoverTimer = setInterval(() => this.flushUnschedulableLeftover(), 30_000);
    this.leftoverTimer.unref();
  }

  /** Upstream calculateBackoffDuration: initial · 2^(attempts−1), capped at max. */
  backoffDuration(attempts: number): number {
    let d = this.opts.initialBackoffMs;
    for (let i = 1; i < attempts; i++) {
      d *= 2;
      if (d > this.opts.maxBackoffMs) return this.opts.maxBackoffMs;
    }
    return d;
  }

  private backoffExpiry(q: QueuedPod): number {
    return q.timestamp + this.backoffDuration(q.attempts);
  }

  private isBackingOff(q: QueuedPod): boolean {
    return q.attempts > 0 && this.backoffExpiry(q) > this.now();
  }

  get counts(): { active: number; backoff: number; unschedulable: number; gated: number; inFlight: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, gated: this.gatedPods.size, inFlight: this.inFlight.size };
  }


  has(pod: Pod): boolean {
    const k = queueKey(pod);
    return this.active.has(k) || this.backoff.has(k) || this.unschedulable.has(k) || this.gatedPods.has(k) || this.inFlight.has(k);
  }

  /** A new unscheduled pod: through PreEnqueue into activeQ, or gated. */
  add(pod: Pod): void {
    if (this.closed || this.has(pod)) return;
    const q = new QueuedPod(newPodInfo(pod), this.now());
    this.trackNomination(q.podInfo);
    this.enqueueActive(q);
  }

  private enqueueActive(q: QueuedPod): void {
    const s = this.opts.preEnqueue(q.podInfo.pod);
    if (s.code !== 'Success') {
      q.gated = true;
      q.unschedulablePlugins = new Set(s.plugin ? [s.plugin] : []);
      this.gatedPods.set(q.key, q);
      return;
    }
    q.gated = false;
    this.active.push(q);
    this.wake();
  }

  private wake(): void {
    while (this.waiters.length && this.active.size) {
      const q = this.take()!;
      this.waiters.shift()!(q);
    }
  }

  private take(): QueuedPod | undefined {
    const q = this.active.pop();
    if (!q) return undefined;
    q.attempts++;
    q.movedWhileInFlight = false;
    this.schedulingCycle++;
    this.inFlight.set(q.key, q);
    return q;
  }

  /** The next pod to schedule (waits while activeQ is empty); undefined once closed. */
  pop(): Promise<QueuedPod | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const q = this.take();
    if (q) return Promise.resolve(q);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Non-waiting pop. */
  tryPop(): QueuedPod | undefined {
    return this.closed ? undefined : this.take();
  }

  /** The scheduling attempt of `q` is over (scheduled, or requeued by addUnschedulableIfNotPresent). */
  done(q: QueuedPod): void {
    if (this.inFlight.get(q.key) === q) this.inFlight.delete(q.key);
  }

  /**
   * A failed attempt: back to the unschedulable set, or to backoffQ when it failed with an error
   * (no rejecting plugin) or a cluster event arrived while it was being scheduled.
   */
  addUnschedulableIfNotPresent(q: QueuedPod, podSchedulingCycle: number): void {
    if (this.inFlight.get(q.key) !== q) return; // deleted (or replaced) meanwhile
    this.inFlight.delete(q.key);
    if (this.closed) return;
    q.timestamp = this.now();
    if (q.unschedulablePlugins.size === 0 || q.movedWhileInFlight || this.moveRequestCycle >= podSchedulingCycle) this.toBackoffOrActive(q);
    else this.unschedulable.set(q.key, q);
  }

  private toBackoffOrActive(q: QueuedPod): void {
    if (this.isBackingOff(q)) {
      this.backoff.push(q);
      this.armBackoffTimer();
    } else this.enqueueActive(q);
  }

  private armBackoffTimer(): void {
    const head = this.backoff.peek();
    if (!head) return;
    const at = this.backoffExpiry(head);
    if (this.backoffTimer && at >= this.backoffTimerAt) return;
    clearTimeout(this.backoffTimer);
    this.backoffTimerAt = at;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      this.backoffTimerAt = Infinity;
      this.flushBackoffCompleted();
    }, Math.max(0, at - this.now()) + 1);
    this.backoffTimer.unref();
  }

  /** Moves pods whose backoff expired to activeQ. */
  flushBackoffCompleted(): void {
    const now = this.now();
    for (let head = this.backoff.peek(); head && this.backoffExpiry(head) <= now; head = this.backoff.peek()) {
      this.backoff.pop();
      this.enqueueActive(head);
    }
    this.armBackoffTimer();
  }

  /** Pods unschedulable for longer than 5 minutes are retried regardless of events. */
  flushUnschedulableLeftover(): void {
    const now = this.now();
    const max = this.opts.maxUnschedulableMs ?? 5 * 60_000;
    for (const q of [...this.unschedulable.values()]) {
      if (now - q.timestamp > max) {
        this.unschedulable.delete(q.key);
        this.toBackoffOrActive(q);
      }
    }
  }

  /** Does `change` possibly make `q` schedulable? Only events its rejecting plugins registered count. */
  private worthRequeuing(q: QueuedPod, change: ClusterChange, oldObj: KubeObject | undefined, newObj: KubeObject | undefined): boolean {
    if (q.unschedulablePlugins.size === 0 && q.pendingPlugins.size === 0) return true;
    for (const plugin of [...q.unschedulablePlugins, ...q.pendingPlugins]) {
      const events = this.opts.eventsOf(plugin);
      if (!events) return true;
      for (const e of events) {
        if (!eventMatches(e.event, change)) continue;
        if (!e.hint) return true;
        try {
          if (e.hint(q.podInfo.pod, oldObj, newObj) === 'Queue') return true;
        } catch {
          return true; // a failing hint must not strand the pod
        }
      }
    }
    return false;
  }

  /** A cluster event: moves the unschedulable pods it may help to backoffQ / activeQ. */
  moveAllToActiveOrBackoffQueue(change: ClusterChange, oldObj?: KubeObject, newObj?: KubeObject): number {
    let moved = 0;
    this.moveRequestCycle = this.schedulingCycle;
    if (this.unschedulable.size === 0) return 0;
    for (const q of [...this.unschedulable.values()]) {
      if (!this.worthRequeuing(q, change, oldObj, newObj)) continue;
      this.unschedulable.delete(q.key);
      this.toBackoffOrActive(q);
      moved++;
    }
    return moved;
  }

  /** The unscheduled pod changed. */
  update(old: Pod, pod: Pod): void {
    const key = queueKey(pod);
    const changed = podUpdated(old, pod);
    const refresh = (q: QueuedPod) => {
      if (changed) q.podInfo = newPodInfo(pod);
      this.trackNomination(q.podInfo, pod);
    };
    const flying = this.inFlight.get(key);
    if (flying) {
      refresh(flying);
      if (changed) flying.movedWhileInFlight = true;
      return;
    }
    const inHeap = this.active.get(key) ?? this.backoff.get(key);
    if (inHeap) {
      refresh(inHeap);
      if (this.active.has(key)) this.active.push(inHeap);
      else this.backoff.push(inHeap);
      return;
    }
    const gated = this.gatedPods.get(key);
    if (gated) {
      refresh(gated);
      this.gatedPods.delete(key);
      this.enqueueActive(gated);
      return;
    }
    const waiting = this.unschedulable.get(key);
    if (!waiting) return this.add(pod);
    refresh(waiting);
    if (changed) {
      this.unschedulable.delete(key);
      this.toBackoffOrActive(waiting);
    }
  }

  delete(pod: Pod): void {
    const key = queueKey(pod);
    this.active.remove(key);
    this.backoff.remove(key);
    this.unschedulable.delete(key);
    this.gatedPods.delete(key);
    this.inFlight.delete(key);
    this.deleteNomination(key);
  }

  // ---- nominator: pods that preemption made room for, per node ----

  private trackNomination(info: PodInfo, pod: Pod = info.pod): void {
    const node = (pod.status as { nominatedNodeName?: string } | undefined)?.nominatedNodeName;
    this.setNominated(info, node);
  }

  setNominated(info: PodInfo, nodeName: string | undefined): void {
    const key = queueKey(info.pod);
    this.deleteNomination(key);
    if (!nodeName) return;
    let m = this.nominated.get(nodeName);
    if (!m) this.nominated.set(nodeName, (m = new Map()));
    m.set(key, info);
    this.nominatedNodeOf.set(key, nodeName);
    this.nominatedLists.delete(nodeName);
  }

  deleteNomination(key: string): void {
    const node = this.nominatedNodeOf.get(key);
    if (node === undefined) return;
    this.nominatedNodeOf.delete(key);
    const m = this.nominated.get(node);
    m?.delete(key);
    if (m?.size === 0) this.nominated.delete(node);
    this.nominatedLists.delete(node);
  }

  nominatedPodsForNode(nodeName: string): readonly PodInfo[] {
    const m = this.nominated.get(nodeName);
    if (!m) return NONE_NOMINATED;
    let list = this.nominatedLists.get(nodeName);
    if (!list) this.nominatedLists.set(nodeName, (list = Object.freeze([...m.values()])));
    return list;
  }

  get hasNominatedPods(): boolean {
    return this.nominated.size > 0;
  }

  /** True when nothing is queued or being scheduled (backoff and unschedulable pods wait for time or events). */
  get idle(): boolean {
    return this.active.size === 0 && this.inFlight.size === 0;
  }

  close(): void {
    this.closed = true;
    this.untrackMetrics?.();
    clearTimeout(this.backoffTimer);
    clearInterval(this.leftoverTimer);
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}

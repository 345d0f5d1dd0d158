// The scheduling loop (upstream ScheduleOne): pop → scheduling cycle (synchronous algorithm, then
// PostFilter / Reserve / Permit) → binding cycle off the loop (PreBind, Bind, PostBind). Failures
// go back to the queue with FailedScheduling and PodScheduled=False, written only when they change.
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { alreadyAssigned, setUnschedulableCondition } from './binding.js';
import { fitErrorMessage, NO_NODES_AVAILABLE, type Diagnosis } from './cycle.js';
import { CycleState, errorStatus, isRejected, isSuccess, type ActionType, type Node, type Pod, type Status, type WaitingPod } from './framework/interfaces.js';
import type { Framework } from './framework/runtime.js';
import { PLUGIN_METRICS_SAMPLE_PERCENT } from './metrics.js';
import type { QueuedPod } from './queue.js';
import type { Scheduler } from './scheduler.js';

export function podIsTerminal(pod: Pod): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

const json = (v: unknown) => JSON.stringify(v ?? null);
/** Longest run of scheduling cycles between two turns of the event loop (watch events, replies). */
const IO_SLICE_MS = 2;

/** Upstream nodeSchedulingPropertiesChange: which scheduling-relevant parts of a node changed. */
export function nodeUpdateActions(old: Node, node: Node): ActionType[] {
  const actions: ActionType[] = ['Update'];
  if (json(old.status?.allocatable) !== json(node.status?.allocatable)) actions.push('UpdateNodeAllocatable');
  if (json(old.metadata.labels) !== json(node.metadata.labels)) actions.push('UpdateNodeLabel');
  if (json(old.spec?.taints) !== json(node.spec?.taints) || !!old.spec?.unschedulable !== !!node.spec?.unschedulable) actions.push('UpdateNodeTaint');
  const conds = (n: Node) => json(((n.status?.conditions ?? []) as { type: string; status: string }[]).map((c) => [c.type, c.status]));
  if (conds(old) !== conds(node)) actions.push('UpdateNodeCondition');
  return actions;
}

class PermitWait implements WaitingPod {
  private readonly pending: Set<string>;
  readonly done: Promise<Status>;
  private settle!: (s: Status) => void;
  private timer: NodeJS.Timeout;
  constructor(readonly pod: Pod, readonly nodeName: string, plugins: string[], timeoutMs: number) {
    this.pending = new Set(plugins);
    this.done = new Promise((r) => (this.settle = r));
    this.timer = setTimeout(() => this.reject(plugins.join(','), `rejected due to timeout after waiting ${timeoutMs / 1000}s at plugin ${plugins.join(',')}`), timeoutMs);
    this.timer.unref();
  }
  pendingPlugins(): string[] {
    return [...this.pending];
  }
  allow(plugin: string): void {
    this.pending.delete(plugin);
    if (this.pending.size === 0) this.finish({ code: 'Success', reasons: [] });
  }
  reject(plugin: string, message: string): void {
    this.finish({ code: 'Unschedulable', reasons: [message], plugin: plugin || undefined });
  }
  private finish(s: Status): void {
    clearTimeout(this.timer);
    this.settle(s);
  }
}

export class SchedulingLoop {
  private running?: Promise<void>;
  private readonly inFlight = new Set<Promise<unknown>>();
  private sliceStart = 0;
  /** Last FailedScheduling message per pod uid: the same failure is not written again. */
  private readonly lastFailure = new Map<string, string>();
  readonly stats = { scheduled: 0, unschedulable: 0, error: 0 };

  constructor(private readonly s: Scheduler) {}

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    await this.running;
    this.running = undefined;
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  get idle(): boolean {
    return this.inFlight.size === 0;
  }

  forgetFailure(pod: Pod): void {
    this.lastFailure.delete(pod.metadata.uid ?? '');
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async run(): Promise<void> {
    for (;;) {
      const q = await this.s.queue.pop();
      if (!q) return;
      try {
        await this.scheduleOne(q);
      } catch (e) {
        this.s.logger.error('scheduler: scheduling cycle failed', { pod: q.key, error: e as Error });
        this.s.queue.done(q);
      }
      // Let watch events and binding replies in between pods (the cycle itself never waits on
      // I/O), after a slice of a few pods rather than after each: the bindings of one slice then
      // leave in one socket write.
      if (performance.now() - this.sliceStart >= IO_SLICE_MS) {
        await yieldToIo();
        this.sliceStart = performance.now();
      }
    }
  }

  private async scheduleOne(q: QueuedPod): Promise<void> {
    const s = this.s;
    const pod = q.podInfo.pod;
    const fwk = s.frameworkFor(pod);
    const current = s.pods.get(pod.metadata.namespace, pod.metadata.name ?? '');
    if (!fwk || !current || current.metadata.uid !== pod.metadata.uid || current.spec?.nodeName || current.metadata.deletionTimestamp || s.cache.isAssumed(pod)) {
      s.queue.done(q);
      return;
    }
    const start = performance.now();
    const cycle = s.queue.schedulingCycle;
    const state = new CycleState();
    state.recordPluginMetrics = Math.random() * 100 < PLUGIN_METRICS_SAMPLE_PERCENT;
    s.cache.updateSnapshot(s.snapshot);
    const outcome = s.algorithm.schedule(
      { fwk, snapshot: s.snapshot, scorer: s.cache.scorer, percentageOfNodesToScore: s.config.percentageOfNodesToScore, nominatedPods: s.queue.hasNominatedPods ? (n) => s.queue.nominatedPodsForNode(n) : undefined },
      state,
      q.podInfo,
    );
    if (outcome.kind === 'error') return this.fail(q, fwk, outcome.status, cycle, start);
    if (outcome.kind === 'unschedulable') {
      const d = outcome.diagnosis;
      let nominated: string | undefined;
      if (!outcome.message && fwk.postFilter.length) {
        const statuses = new Map(d.nodeToStatus);
        if (d.absentStatus) for (const n of s.snapshot.nodeList) if (!statuses.has(n.name)) statuses.set(n.name, d.absentStatus);
        const pf = await fwk.runPostFilter(state, q.podInfo, statuses);
        if (isSuccess(pf.status)) nominated = pf.result?.nominatedNodeName;
        else if (pf.status.reasons.length) d.postFilterMsg = pf.status.reasons.join(', ');
      }
      const status: Status = { code: 'Unschedulable', reasons: [outcome.message ?? fitErrorMessage(d)] };
      return this.fail(q, fwk, status, cycle, start, d, nominated);
    }
    const nodeName = outcome.node.name;
    s.cache.assumePod(q.podInfo, nodeName);
    const reserve = await fwk.runReserve(state, q.podInfo, nodeName);
    if (!isSuccess(reserve)) {
      await fwk.runUnreserve(state, q.podInfo, nodeName);
      s.cache.forgetPod(pod);
      return this.fail(q, fwk, reserve, cycle, start, rejectedBy(reserve));
    }
    const permit = fwk.runPermit(state, q.podInfo, nodeName);
    if (!isSuccess(permit.status) && permit.status.code !== 'Wait') {
      await fwk.runUnreserve(state, q.podInfo, nodeName);
      s.cache.forgetPod(pod);
      return this.fail(q, fwk, permit.status, cycle, start, rejectedBy(permit.status));
    }
    let wait: PermitWait | undefined;
    if (permit.status.code === 'Wait') {
      wait = new PermitWait(pod, nodeName, permit.waitingOn, permit.timeoutMs);
      s.addWaiting(pod.metadata.uid ?? '', wait);
    }
    this.track(this.bindingCycle(q, fwk, state, nodeName, cycle, start, wait));
  }

  private async bindingCycle(q: QueuedPod, fwk: Framework, state: CycleState, nodeName: string, cycle: number, start: number, wait?: PermitWait): Promise<void> {
    const s = this.s;
    const pod = q.podInfo.pod;
    let status: Status;
    try {
      if (wait) {
        status = await wait.done;
        s.removeWaiting(pod.metadata.uid ?? '');
        if (!isSuccess(status)) throw Object.assign(new Error('permit'), { status });
      }
      status = await fwk.runPreBind(state, q.podInfo, nodeName);
      if (isSuccess(status)) status = await fwk.runBind(state, q.podInfo, nodeName);
    } catch (e) {
      status = (e as { status?: Status }).status ?? errorStatus(e as Error);
    }
    if (isSuccess(status)) {
      s.cache.finishBinding(pod);
      const seconds = (performance.now() - start) / 1000;
      s.metrics.schedulingAttemptDuration.observe({ result: 'scheduled', profile: fwk.profileName }, seconds);
      s.metrics.scheduleAttempts.inc({ result: 'scheduled', profile: fwk.profileName });
      s.metrics.podSchedulingDuration.observe({ attempts: String(Math.min(q.attempts, 15)) }, (Date.now() - q.initialAttemptTimestamp) / 1000);
      this.stats.scheduled++;
      this.lastFailure.delete(pod.metadata.uid ?? '');
      s.recorders.get(fwk.profileName)!.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name} to ${nodeName}`);
      fwk.runPostBind(state, q.podInfo, nodeName);
      s.queue.done(q);
      return;
    }
    await fwk.runUnreserve(state, q.podInfo, nodeName);
    s.cache.forgetPod(pod);
    // The forgotten pod's resources are free again: pods waiting for room may fit now.
    s.queue.moveAllToActiveOrBackoffQueue({ resource: 'AssignedPod', actions: ['Delete'] });
    if (status.error && alreadyAssigned(status.error)) {
      s.queue.done(q);
      return;
    }
    this.fail(q, fwk, status, cycle, start, rejectedBy(status));
  }

  /** Upstream handleSchedulingFailure: requeue, then FailedScheduling + PodScheduled=False when they change. */
  private fail(q: QueuedPod, fwk: Framework, status: Status, cycle: number, start: number, d?: Pick<Diagnosis, 'unschedulablePlugins' | 'pendingPlugins'>, nominated?: string): void {
    const s = this.s;
    const pod = q.podInfo.pod;
    const rejected = isRejected(status);
    const result = rejected ? 'unschedulable' : 'error';
    this.stats[result]++;
    s.metrics.schedulingAttemptDuration.observe({ result, profile: fwk.profileName }, (performance.now() - start) / 1000);
    s.metrics.scheduleAttempts.inc({ result, profile: fwk.profileName });
    q.unschedulablePlugins = new Set(rejected ? d?.unschedulablePlugins ?? [] : []);
    q.pendingPlugins = new Set(rejected ? d?.pendingPlugins ?? [] : []);
    const current = s.pods.get(pod.metadata.namespace, pod.metadata.name ?? '');
    if (!current || current.metadata.uid !== pod.metadata.uid || current.spec?.nodeName) {
      s.queue.done(q);
      return;
    }
    s.queue.addUnschedulableIfNotPresent(q, cycle);
    if (nominated) s.queue.setNominated(q.podInfo, nominated);
    const message = status.reasons.join(', ') || status.error?.message || 'scheduling failed';
    if (!rejected) s.logger.warn('scheduler: error scheduling pod', { pod: q.key, error: message });
    const uid = pod.metadata.uid ?? '';
    if (this.lastFailure.get(uid) === message && !nominated) return;
    this.lastFailure.set(uid, message);
    s.recorders.get(fwk.profileName)!.record(pod, 'Warning', 'FailedScheduling', message);
    const reason = rejected ? 'Unschedulable' : 'SchedulerError';
    this.track(setUnschedulableCondition(s.store, pod, reason, message, nominated).catch((e: unknown) => s.logger.debug('scheduler: condition not written', { pod: q.key, error: e as Error })));
  }
}

function rejectedBy(status: Status): Pick<Diagnosis, 'unschedulablePlugins' | 'pendingPlugins'> {
  return { unschedulablePlugins: new Set(status.plugin ? [status.plugin] : []), pendingPlugins: new Set() };
}

export { NO_NODES_AVAILABLE };

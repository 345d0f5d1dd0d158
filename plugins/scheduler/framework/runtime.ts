// The framework runtime for one profile: builds the plugins a profile enables (multiPoint expanded
// to every extension point a plugin implements, as upstream's expandMultiPointPlugins), runs each
// extension point in order, sets Status.plugin, and records upstream's metrics.
import type { HotHistogramChild } from '../../../kernel/metrics/hot.js';
import { performance } from 'node:perf_hooks';
import { PluginConfigError } from '../../../kernel/plugin/types.js';
import type { Profile } from '../config.js';
import { expandExtensionPoints } from './expand.js';
import type { SchedulerMetrics } from '../metrics.js';
import type { FitConfig, Normalization } from '../../../wasm/score/types.js';
import {
  SUCCESS, errorStatus, isRejected, isSuccess,
  type BindPlugin, type ClusterEventWithHint, type ColumnScorePlugin, type CycleState, type FilterPlugin, type Handle,
  type KernelScorePlugin, type NodeInfo, type PermitPlugin, type PluginFactory, type PodInfo, type PostBindPlugin,
  type PostFilterPlugin, type PostFilterResult, type PreBindPlugin, type PreEnqueuePlugin, type PreFilterPlugin,
  type PreFilterResult, type PreScorePlugin, type QueueSortPlugin, type ReservePlugin, type SchedulerPlugin,
  type ScorePlugin, type Status,
} from './interfaces.js';

/** A score plugin as the kernel call sees it. */
export type ScoreEntry =
  | { kind: 'kernel'; plugin: KernelScorePlugin; weight: number }
  | { kind: 'column'; plugin: ColumnScorePlugin; weight: number; normalization: Normalization; raw: Float64Array }
  | { kind: 'node'; plugin: ScorePlugin; weight: number; raw: Float64Array };

export interface BuildOptions {
  profile: Profile;
  /** Validated args by plugin name (config.validateProfiles). */
  args: ReadonlyMap<string, unknown>;
  factories: ReadonlyMap<string, PluginFactory>;
  handle: Handle;
  metrics: SchedulerMetrics;
  /** Length of the per-plugin raw score columns (the scorer's capacity). */
  capacity: number;
  /** For messages: `profiles[<i>]`. */
  keyPrefix: string;
}

const now = () => performance.now();

export class Framework {
  readonly profileName: string;
  readonly plugins = new Map<string, SchedulerPlugin>();
  readonly preEnqueue: PreEnqueuePlugin[] = [];
  queueSort!: QueueSortPlugin;
  readonly preFilter: PreFilterPlugin[] = [];
  readonly filter: FilterPlugin[] = [];
  readonly postFilter: PostFilterPlugin[] = [];
  readonly preScore: PreScorePlugin[] = [];
  readonly score: ScoreEntry[] = [];
  readonly reserve: ReservePlugin[] = [];
  readonly permit: PermitPlugin[] = [];
  readonly preBind: PreBindPlugin[] = [];
  readonly bind: BindPlugin[] = [];
  readonly postBind: PostBindPlugin[] = [];
  /** Cluster events each plugin registered (EnqueueExtensions); plugins without any: all events. */
  readonly events = new Map<string, ClusterEventWithHint[]>();
  private readonly metrics: SchedulerMetrics;

  constructor(private readonly opts: BuildOptions) {
    this.profileName = opts.profile.schedulerName;
    this.metrics = opts.metrics;
    const lists = expandExtensionPoints(opts.profile, (name) => this.instance(name), opts.keyPrefix);
    const get = <T>(n: string) => this.plugins.get(n) as T;
    for (const e of lists.preEnqueue) this.preEnqueue.push(get(e.name));
    for (const e of lists.preFilter) this.preFilter.push(get(e.name));
    for (const e of lists.filter) this.filter.push(get(e.name));
    for (const e of lists.postFilter) this.postFilter.push(get(e.name));
    for (const e of lists.preScore) this.preScore.push(get(e.name));
    for (const e of lists.reserve) this.reserve.push(get(e.name));
    for (const e of lists.permit) this.permit.push(get(e.name));
    for (const e of lists.preBind) this.preBind.push(get(e.name));
    for (const e of lists.bind) this.bind.push(get(e.name));
    for (const e of lists.postBind) this.postBind.push(get(e.name));
    for (const e of lists.score) {
      const p = get<SchedulerPlugin>(e.name);
      if ('kernelScore' in p) this.score.push({ kind: 'kernel', plugin: p as KernelScorePlugin, weight: e.weight });
      else if ('scoreColumn' in p) {
        const c = p as ColumnScorePlugin;
        this.score.push({ kind: 'column', plugin: c, weight: e.weight, normalization: c.normalization, raw: new Float64Array(opts.capacity) });
      } else this.score.push({ kind: 'node', plugin: p as ScorePlugin, weight: e.weight, raw: new Float64Array(opts.capacity) });
    }
    if (lists.queueSort.length !== 1) throw new PluginConfigError(`${opts.keyPrefix}.plugins.queueSort`, `one queue sort plugin required for profile with scheduler name "${this.profileName}" (found ${lists.queueSort.length})`);
    this.queueSort = get(lists.queueSort[0]!.name);
    if (lists.bind.length === 0) throw new PluginConfigError(`${opts.keyPrefix}.plugins.bind`, `at least one bind plugin is needed for profile with scheduler name "${this.profileName}"`);
    for (const [name, p] of this.plugins) {
      if ('eventsToRegister' in p) this.events.set(name, (p as unknown as { eventsToRegister(): ClusterEventWithHint[] }).eventsToRegister());
    }
  }

  private instance(name: string): SchedulerPlugin {
    let p = this.plugins.get(name);
    if (!p) {
      const f = this.opts.factories.get(name);
      if (!f) throw new PluginConfigError(`${this.opts.keyPrefix}.plugins`, `unknown plugin "${name}"`);
      const args = this.opts.args.has(name) ? this.opts.args.get(name) : f.validate(undefined);
      p = f.create(args, this.opts.handle);
      this.plugins.set(name, p);
    }
    return p;
  }

  /** The configured percentage for this profile (undefined = the top-level value). */
  get percentageOfNodesToScore(): number | undefined {
    return this.opts.profile.percentageOfNodesToScore;
  }

  /** Histogram children by extension point and status code: a dozen observations per pod. */
  private readonly pointSeries = new Map<string, Map<string, HotHistogramChild>>();

  private observePoint(point: string, status: Status, start: number): void {
    let byCode = this.pointSeries.get(point);
    if (!byCode) this.pointSeries.set(point, (byCode = new Map()));
    let child = byCode.get(status.code);
    if (!child) byCode.set(status.code, (child = this.metrics.extensionPointDuration.labels({ extension_point: point, status: status.code, profile: this.profileName })));
    child.observe((now() - start) / 1000);
  }

  /** The Score extension point's duration (the scoring itself runs in cycle.ts, in one kernel call). */
  observeScore(status: Status, start: number): void {
    this.observePoint('Score', status, start);
  }

  /** Records one plugin's duration when the cycle is sampled (upstream: 10% of cycles). */
  observePlugin(state: CycleState, plugin: string, point: string, status: Status, start: number): void {
    if (state.recordPluginMetrics) this.metrics.pluginExecutionDuration.observe({ plugin, extension_point: point, status: status.code }, (now() - start) / 1000);
  }

  private tagged(s: Status, plugin: string): Status {
    if (s.code === 'Success') return s;
    return s.plugin === plugin ? s : { ...s, plugin };
  }

  runPreEnqueue(pod: PodInfo['pod']): Status {
    for (const p of this.preEnqueue) {
      let s: Status;
      try {
        s = p.preEnqueue(pod);
      } catch (e) {
        s = errorStatus(e as Error);
      }
      if (!isSuccess(s)) return this.tagged(s, p.name);
    }
    return SUCCESS;
  }

  /**
   * PreFilter: returns the merged node narrowing (intersection), the first non-success status,
   * and the plugins that returned Skip (their Filter is not run: kept in `skipFilter`).
   */
  runPreFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], skipFilter: Set<string>): { result?: PreFilterResult; narrowedBy: string[]; status: Status } {
    const start = now();
    let result: PreFilterResult | undefined;
    const narrowedBy: string[] = [];
    let status: Status = SUCCESS;
    for (const p of this.preFilter) {
      const t0 = state.recordPluginMetrics ? now() : 0;
      let r: { result?: PreFilterResult; status: Status };
      try {
        r = p.preFilter(state, pod, nodes);
      } catch (e) {
        r = { status: errorStatus(e as Error) };
      }
      this.observePlugin(state, p.name, 'PreFilter', r.status, t0);
      if (r.status.code === 'Skip') {
        skipFilter.add(p.name);
        continue;
      }
      if (!isSuccess(r.status)) {
        status = this.tagged(r.status, p.name);
        break;
      }
      if (r.result?.nodeNames) {
        narrowedBy.push(p.name);
        if (!result?.nodeNames) result = { nodeNames: new Set(r.result.nodeNames) };
        else for (const n of result.nodeNames) if (!r.result.nodeNames.has(n)) result.nodeNames.delete(n);
      }
    }
    this.observePoint('PreFilter', status, start);
    return { result, narrowedBy, status };
  }

  /** The Filter plugins of this cycle: PreFilter Skips removed once, not checked per node. */
  activeFilters(skip: ReadonlySet<string>): readonly FilterPlugin[] {
    if (!skip.size) return this.filter;
    // Asked once per node by per-node paths (statuses, preemption): remember the last answer.
    const last = this.lastActive;
    if (last && last.skip === skip && last.size === skip.size) return last.filters;
    const filters = this.filter.filter((p) => !skip.has(p.name));
    this.lastActive = { skip, size: skip.size, filters };
    return filters;
  }

  private lastActive?: { skip: ReadonlySet<string>; size: number; filters: readonly FilterPlugin[] };

  /** Filter plugins for one node (Handle.runFilterPlugins, preemption's what-ifs). */
  runFilter(state: CycleState, pod: PodInfo, node: NodeInfo, skip: ReadonlySet<string>): Status {
    return this.runFilters(this.activeFilters(skip), state, pod, node, false);
  }

  /**
   * Runs `filters` on one node, stopping at the first rejection (upstream RunFilterPlugins).
   * `record` times each plugin: the cycle asks for it on the first nodes of sampled cycles only,
   * since one histogram observation per node and plugin would cost more than the filters.
   */
  runFilters(filters: readonly FilterPlugin[], state: CycleState, pod: PodInfo, node: NodeInfo, record: boolean): Status {
    for (let i = 0; i < filters.length; i++) {
      const p = filters[i]!;
      const t0 = record ? now() : 0;
      let s: Status;
      try {
        s = p.filter(state, pod, node);
      } catch (e) {
        s = errorStatus(e as Error);
      }
      if (record) this.observePlugin(state, p.name, 'Filter', s, t0);
      if (s.code !== 'Success') return this.tagged(s, p.name);
    }
    return SUCCESS;
  }

  /** PreFilter plugins that have extensions, in order (preemption's dry runs call them per pod moved). */
  private withExtensions?: readonly PreFilterPlugin[];

  /** Whether a PreFilter plugin with extensions runs in a cycle that skips `skip`. */
  hasPreFilterExtensions(skip: ReadonlySet<string>): boolean {
    return this.extensionPlugins().some((p) => !skip.has(p.name));
  }

  private extensionPlugins(): readonly PreFilterPlugin[] {
    return (this.withExtensions ??= this.preFilter.filter((p) => typeof p.preFilterExtensions === 'function'));
  }

  runPreFilterExtension(kind: 'add' | 'remove', state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo, skip: ReadonlySet<string>): Status {
    const plugins = this.extensionPlugins();
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      if (skip.has(p.name)) continue;
      const ext = p.preFilterExtensions?.();
      if (!ext) continue;
      let s: Status;
      try {
        s = kind === 'add' ? ext.addPod(state, pod, other, node) : ext.removePod(state, pod, other, node);
      } catch (e) {
        s = errorStatus(e as Error);
      }
      if (!isSuccess(s)) return this.tagged(s, p.name);
    }
    return SUCCESS;
  }

  async runPostFilter(state: CycleState, pod: PodInfo, statuses: ReadonlyMap<string, Status>): Promise<{ result?: PostFilterResult; status: Status }> {
    const start = now();
    let out: { result?: PostFilterResult; status: Status } = { status: { code: 'Unschedulable', reasons: [] } };
    for (const p of this.postFilter) {
      let r: { result?: PostFilterResult; status: Status };
      try {
        r = await p.postFilter(state, pod, statuses);
      } catch (e) {
        r = { status: errorStatus(e as Error) };
      }
      const s = this.tagged(r.status, p.name);
      if (isSuccess(s) || s.code === 'Error') {
        out = { result: r.result, status: s };
        break;
      }
      // Upstream keeps the last rejection's message for the FailedScheduling text.
      out = { result: r.result, status: s };
      if (!isRejected(s)) break;
    }
    this.observePoint('PostFilter', out.status, start);
    return out;
  }

  /** PreScore: returns the names of score plugins to skip (their PreScore returned Skip). */
  runPreScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], skipScore: Set<string>): Status {
    const start = now();
    let status: Status = SUCCESS;
    for (const p of this.preScore) {
      let s: Status;
      try {
        s = p.preScore(state, pod, nodes);
      } catch (e) {
        s = errorStatus(e as Error);
      }
      if (s.code === 'Skip') {
        skipScore.add(p.name);
        continue;
      }
      if (!isSuccess(s)) {
        status = this.tagged(s, p.name);
        break;
      }
    }
    this.observePoint('PreScore', status, start);
    return status;
  }

  async runReserve(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status> {
    const start = now();
    let status: Status = SUCCESS;
    for (const p of this.reserve) {
      let s: Status;
      try {
        const t0 = now();
        s = await p.reserve(state, pod, nodeName);
        this.observePlugin(state, p.name, 'Reserve', s, t0);
      } catch (e) {
        s = errorStatus(e as Error);
      }
      if (!isSuccess(s)) {
        status = this.tagged(s, p.name);
        break;
      }
    }
    this.observePoint('Reserve', status, start);
    return status;
  }

  /** Unreserve runs in reverse order, every plugin, errors ignored (upstream). */
  async runUnreserve(state: CycleState, pod: PodInfo, nodeName: string): Promise<void> {
    const start = now();
    for (let i = this.reserve.length - 1; i >= 0; i--) {
      try {
        await this.reserve[i]!.unreserve(state, pod, nodeName);
      } catch {
        // Unreserve must not fail: a plugin's cleanup error does not stop the others.
      }
    }
    this.observePoint('Unreserve', SUCCESS, start);
  }

  /** Permit: the overall status and, for Wait, the shortest plugin timeout and the waiting plugins. */
  runPermit(state: CycleState, pod: PodInfo, nodeName: string): { status: Status; timeoutMs: number; waitingOn: string[] } {
    const start = now();
    let timeoutMs = Infinity;
    const waitingOn: string[] = [];
    let status: Status = SUCCESS;
    for (const p of this.permit) {
      let r: { status: Status; timeoutMs?: number };
      try {
        const t0 = now();
        r = p.permit(state, pod, nodeName);
        this.observePlugin(state, p.name, 'Permit', r.status, t0);
      } catch (e) {
        r = { status: errorStatus(e as Error) };
      }
      if (r.status.code === 'Wait') {
        waitingOn.push(p.name);
        timeoutMs = Math.min(timeoutMs, Math.min(r.timeoutMs ?? 15 * 60_000, 15 * 60_000));
        continue;
      }
      if (!isSuccess(r.status)) {
        status = this.tagged(r.status, p.name);
        break;
      }
    }
    if (isSuccess(status) && waitingOn.length) status = { code: 'Wait', reasons: [] };
    this.observePoint('Permit', status, start);
    return { status, timeoutMs, waitingOn };
  }

  async runPreBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status> {
    const start = now();
    let status: Status = SUCCESS;
    for (const p of this.preBind) {
      let s: Status;
      try {
        const t0 = now();
        s = await p.preBind(state, pod, nodeName);
        this.observePlugin(state, p.name, 'PreBind', s, t0);
      } catch (e) {
        s = errorStatus(e as Error);
      }
      if (!isSuccess(s)) {
        status = this.tagged(s, p.name);
        break;
      }
    }
    this.observePoint('PreBind', status, start);
    return status;
  }

  async runBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status> {
    const start = now();
    let status: Status = { code: 'Skip', reasons: [] };
    for (const p of this.bind) {
      let s: Status;
      try {
        const t0 = now();
        s = await p.bind(state, pod, nodeName);
        this.observePlugin(state, p.name, 'Bind', s, t0);
      } catch (e) {
        s = errorStatus(e as Error);
      }
      if (s.code === 'Skip') continue;
      status = this.tagged(s, p.name);
      break;
    }
    if (status.code === 'Skip') status = errorStatus(new Error(`no bind plugin bound pod "${pod.pod.metadata.name}"`));
    this.observePoint('Bind', status, start);
    return status;
  }

  runPostBind(state: CycleState, pod: PodInfo, nodeName: string): void {
    const start = now();
    for (const p of this.postBind) {
      try {
        p.postBind(state, pod, nodeName);
      } catch {
        // PostBind is informational (upstream ignores its result).
      }
    }
    this.observePoint('PostBind', SUCCESS, start);
  }

  /** The kernel's NodeResourcesFit config, or null when Fit scoring is off or skipped. */
  kernelFit(skip: ReadonlySet<string>): FitConfig | null {
    for (const e of this.score) {
      if (e.kind === 'kernel' && e.plugin.kernelScore.kind === 'fit' && !skip.has(e.plugin.name)) {
        const k = e.plugin.kernelScore;
        return { strategy: k.strategy, weight: e.weight, cpuWeight: k.cpuWeight, memoryWeight: k.memoryWeight, shape: k.shape };
      }
    }
    return null;
  }

  kernelBalancedWeight(skip: ReadonlySet<string>): number {
    for (const e of this.score) if (e.kind === 'kernel' && e.plugin.kernelScore.kind === 'balanced' && !skip.has(e.plugin.name)) return e.weight;
    return 0;
  }
}

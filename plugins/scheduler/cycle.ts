// One scheduling algorithm run (upstream schedulePod): PreFilter → Filter over nodes (round-robin
// start, percentageOfNodesToScore, nominated pods) → PreScore → Score in one kernel call → the
// chosen node. Synchronous from snapshot to choice, so the scorer's columns match the snapshot.
import { performance } from 'node:perf_hooks';
import { MAX_EXTRA_SCORES, type ExtraScore, type NodeScorer, type ScoreResult } from '../../wasm/score/types.js';
import { CycleState, SUCCESS, errorStatus, isBatchFilter, isSuccess, type FilterPlugin, type NodeInfo, type PodInfo, type Status } from './framework/interfaces.js';
import type { Framework } from './framework/runtime.js';
import type { CacheSnapshot } from './cache.js';
import { NominatedViews } from './nominated-views.js';

/** CycleState key of the set of plugins whose PreFilter returned Skip (their Filter is not run). */
export const SKIP_FILTER_KEY = 'kite.dev/skip-filter';
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';
const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
/** In sampled cycles, Filter plugin durations are observed on this many nodes (see Framework.runFilter). */
const FILTER_METRIC_NODES = 16;
const NO_FILTERS: readonly FilterPlugin[] = Object.freeze([]);

/** Upstream numFeasibleNodesToFind. */
export function numFeasibleNodesToFind(percentage: number, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let p = percentage;
  if (p === 0) p = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, 50 - Math.trunc(numAllNodes / 125));
  if (p >= 100) return numAllNodes;
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.trunc((numAllNodes * p) / 100));
}

export interface Diagnosis {
  numAllNodes: number;
  /** Rejecting status per node that was evaluated. */
  nodeToStatus: Map<string, Status>;
  /** Status of nodes PreFilter excluded (or every node when PreFilter rejected the pod). */
  absentStatus?: Status;
  preFilterMsg?: string;
  postFilterMsg?: string;
  unschedulablePlugins: Set<string>;
  pendingPlugins: Set<string>;
}

export type Outcome =
  | { kind: 'scheduled'; node: NodeInfo; evaluatedNodes: number; feasibleNodes: number; score?: ScoreResult; feasible: readonly NodeInfo[]; extras: ExtraScore[] }
  | { kind: 'unschedulable'; diagnosis: Diagnosis; message?: string }
  | { kind: 'error'; status: Status };

/** Upstream FitError.Error(): `0/3 nodes are available: 1 …, 2 Insufficient cpu. preemption: …` */
export function fitErrorMessage(d: Diagnosis): string {
  let msg = `0/${d.numAllNodes} nodes are available:`;
  if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
  else {
    const counts = new Map<string, number>();
    for (const s of d.nodeToStatus.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const absent = d.numAllNodes - d.nodeToStatus.size;
    if (d.absentStatus && absent > 0) for (const r of d.absentStatus.reasons) counts.set(r, (counts.get(r) ?? 0) + absent);
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort();
    if (parts.length) msg += ` ${parts.join(', ')}.`;
  }
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}.`;
  return msg;
}

export interface CycleInputs {
  fwk: Framework;
  snapshot: CacheSnapshot;
  scorer: NodeScorer;
  /** Top-level percentageOfNodesToScore (the profile's wins when set). */
  percentageOfNodesToScore: number;
  /** Nominated pods per node (preemption), if any. */
  nominatedPods?: (nodeName: string) => readonly PodInfo[];
}

export class SchedulingAlgorithm {
  private nextStartNodeIndex = 0;
  private seed = 0x2545f491;
  private readonly mask: Uint8Array;
  /** By node index: 0 = a batch Filter rejected the node in this cycle. */
  private readonly pass: Uint8Array;
  private readonly feasible: NodeInfo[] = [];
  /** Per node: the node with its nominated pods added, reused while neither changes. */
  private readonly nominatedViews = new NominatedViews();

  constructor(capacity: number) {
    // One spare lane: the kernel may write mask[nodeCount] (README "ABI").
    this.mask = new Uint8Array(capacity + 1);
    this.pass = new Uint8Array(capacity + 1);
  }

  /**
   * Runs PreFilter → Filter → PreScore → Score. `details` (explain) scores even one feasible node,
   * and `evaluateAll` ignores percentageOfNodesToScore.
   */
  schedule(inp: CycleInputs, state: CycleState, pod: PodInfo, opts: { details?: boolean; evaluateAll?: boolean; statuses?: Map<string, Status> } = {}): Outcome {
    const { fwk, snapshot } = inp;
    const all = snapshot.nodeList;
    const diagnosis: Diagnosis = { numAllNodes: all.length, nodeToStatus: opts.statuses ?? new Map(), unschedulablePlugins: new Set(), pendingPlugins: new Set() };
    if (all.length === 0) {
      diagnosis.preFilterMsg = undefined;
      return { kind: 'unschedulable', diagnosis, message: NO_NODES_AVAILABLE };
    }
    const skipFilter = new Set<string>();
    state.write(SKIP_FILTER_KEY, skipFilter);
    const pre = fwk.runPreFilter(state, pod, all, skipFilter);
    if (pre.status.code === 'Error') return { kind: 'error', status: pre.status };
    if (!isSuccess(pre.status)) {
      diagnosis.preFilterMsg = pre.status.reasons.join(', ');
      diagnosis.absentStatus = pre.status;
      this.reject(diagnosis, pre.status);
      return { kind: 'unschedulable', diagnosis };
    }
    let nodes: readonly NodeInfo[] = all;
    if (pre.result?.nodeNames) {
      const narrowed: NodeInfo[] = [];
      for (const n of pre.result.nodeNames) {
        const ni = snapshot.get(n);
        if (ni) narrowed.push(ni);
      }
      nodes = narrowed;
      diagnosis.absentStatus = { code: 'UnschedulableAndUnresolvable', reasons: [`node(s) didn't satisfy plugin(s) [${[...pre.narrowedBy].sort().join(' ')}]`] };
      for (const p of pre.narrowedBy) diagnosis.unschedulablePlugins.add(p);
    }

    const feasible = this.feasible;
    feasible.length = 0;
    this.mask.fill(0, 0, all.length + 1);
    const nominatedName = (pod.pod.status as { nominatedNodeName?: string } | undefined)?.nominatedNodeName;
    if (nominatedName) {
      // Upstream evaluateNominatedNode: a pod that preempted for a node tries that node first.
      const ni = snapshot.get(nominatedName);
      if (ni && (!pre.result?.nodeNames || pre.result.nodeNames.has(nominatedName))) {
        const s = this.filterNode(inp, state, pod, ni, skipFilter);
        if (s.code === 'Success') {
          this.mask[ni.index] = 1;
          feasible.push(ni);
        }
      }
    }
    if (feasible.length === 0 && nodes.length) {
      const numToFind = opts.evaluateAll ? nodes.length : numFeasibleNodesToFind(fwk.percentageOfNodesToScore ?? inp.percentageOfNodesToScore, nodes.length);
      const len = nodes.length;
      const start = this.nextStartNodeIndex % len;
      let processed = 0;
      const recordFilters = state.recordPluginMetrics;
      const filters = fwk.activeFilters(skipFilter);
      // Batch Filters screen all nodes at once, the others run per node on the survivors; a
      // screened-out node is re-run through every Filter so that its Status is exactly the
      // sequential one. A node with pods nominated to it must pass with them and without them
      // (upstream), so one the batch Filters reject without them is rejected; a surviving node
      // with nominated pods is filtered per node, both ways, and so is a rejected one whose
      // Status is needed.
      const rest = this.screen(inp, state, pod, filters, nodes, all.length);
      const pass = this.pass;
      const mask = this.mask;
      // The whole snapshot in index order (the common case): position = index, so nodes that
      // pass every batch Filter are taken without touching their NodeInfo.
      const inIndexOrder = nodes === all;
      if (inIndexOrder && rest.length === 0 && !inp.nominatedPods && numToFind >= len) {
        // Every node is evaluated and the batch Filters decided: the mask is their verdict.
        const verdicts = pass.subarray(0, len);
        mask.set(verdicts);
        // A native search finds "none rejected" (the common case) without a loop over the nodes.
        if (verdicts.indexOf(0) < 0) return this.scored(inp, state, pod, all, all.length, opts);
        let rejected = 0;
        for (let i = 0; i < len; i++) rejected += 1 - pass[i]!;
        // Statuses of rejected nodes are read only when no node fits (the FailedScheduling text,
        // preemption) or by explain: a pod that gets a node does not pay for them.
        const needStatuses = rejected === len || opts.statuses !== undefined;
        for (let i = 0; i < len; i++) {
          const ni = all[i]!;
          if (pass[i] === 1) {
            feasible.push(ni);
            continue;
          }
          if (!needStatuses) continue;
          const s = fwk.runFilters(filters, state, pod, ni, false);
          if (s.code === 'Error') return { kind: 'error', status: s };
          if (s.code === 'Success') {
            // A batch form disagreeing with its filter() (a vendor's bug): filter() is the truth.
            mask[i] = 1;
            feasible.push(ni);
            continue;
          }
          diagnosis.nodeToStatus.set(ni.name, s);
          this.reject(diagnosis, s);
        }
        if (feasible.length === 0) return { kind: 'unschedulable', diagnosis };
        return this.scored(inp, state, pod, feasible, len, opts);
      }
      // Nodes a batch Filter rejected: their exact Status is computed only if it is needed.
      const screenedOut: NodeInfo[] = [];
      for (let i = 0; i < len; i++) {
        const k = (start + i) % len;
        const ni = nodes[k]!;
        processed++;
        let s: Status;
        const index = inIndexOrder ? k : ni.index;
        if (pass[index] === 0) {
          screenedOut.push(ni);
          continue;
        }
        const nominated = inp.nominatedPods?.(ni.name);
        if (nominated?.length) s = this.filterNode(inp, state, pod, ni, skipFilter, nominated);
        else {
          if (rest.length === 0) {
            mask[index] = 1;
            feasible.push(ni);
            if (feasible.length >= numToFind) break;
            continue;
          }
          s = fwk.runFilters(rest, state, pod, ni, recordFilters && processed <= FILTER_METRIC_NODES);
        }
        if (s.code === 'Success') {
          mask[ni.index] = 1;
          feasible.push(ni);
          if (feasible.length >= numToFind) break;
        } else if (s.code === 'Error') return { kind: 'error', status: s };
        else {
          diagnosis.nodeToStatus.set(ni.name, s);
          this.reject(diagnosis, s);
        }
      }
      this.nextStartNodeIndex = (start + processed) % len;
      if (feasible.length === 0 || opts.statuses !== undefined) {
        for (const ni of screenedOut) {
          const s = inp.nominatedPods ? this.filterNode(inp, state, pod, ni, skipFilter) : fwk.runFilters(filters, state, pod, ni, false);
          if (s.code === 'Error') return { kind: 'error', status: s };
          if (s.code === 'Success') {
            // A batch form disagreeing with its filter() (a vendor's bug): filter() is the truth.
            this.mask[ni.index] = 1;
            feasible.push(ni);
            continue;
          }
          diagnosis.nodeToStatus.set(ni.name, s);
          this.reject(diagnosis, s);
        }
        screenedOut.length = 0;
      }
      if (feasible.length === 0) return { kind: 'unschedulable', diagnosis };
      return this.scored(inp, state, pod, feasible, feasible.length + diagnosis.nodeToStatus.size + screenedOut.length, opts);
    }
    if (feasible.length === 0) return { kind: 'unschedulable', diagnosis };
    return this.scored(inp, state, pod, feasible, feasible.length + diagnosis.nodeToStatus.size, opts);
  }

  private scored(inp: CycleInputs, state: CycleState, pod: PodInfo, feasible: readonly NodeInfo[], evaluatedNodes: number, opts: { details?: boolean }): Outcome {
    if (feasible.length === 1 && !opts.details) return { kind: 'scheduled', node: feasible[0]!, evaluatedNodes, feasibleNodes: 1, feasible, extras: [] };
    return this.score(inp, state, pod, feasible, evaluatedNodes, !!opts.details);
  }

  /**
   * Runs the batch Filters over `nodes` into `this.pass` and returns the Filters still to run per
   * node (those without a batch form, or that declined this pod).
   */
  private screen(inp: CycleInputs, state: CycleState, pod: PodInfo, filters: readonly FilterPlugin[], nodes: readonly NodeInfo[], indexSpace: number): readonly FilterPlugin[] {
    this.pass.fill(1, 0, indexSpace + 1);
    const columns = inp.snapshot.columns();
    let rest: FilterPlugin[] | undefined;
    for (let i = 0; i < filters.length; i++) {
      const p = filters[i]!;
      let screened = false;
      if (isBatchFilter(p)) {
        const t0 = state.recordPluginMetrics ? performance.now() : 0;
        try {
          screened = p.filterBatch(state, pod, nodes, this.pass, columns);
        } catch {
          // filter() per node reports the error with the node it happened on.
          screened = false;
        }
        if (screened) inp.fwk.observePlugin(state, p.name, 'Filter', SUCCESS, t0);
      }
      if (!screened) (rest ??= []).push(p);
    }
    return rest ?? NO_FILTERS;
  }

  private reject(d: Diagnosis, s: Status): void {
    if (!s.plugin) return;
    if (s.code === 'Pending') d.pendingPlugins.add(s.plugin);
    else d.unschedulablePlugins.add(s.plugin);
  }

  /** Filters one node, twice when higher-or-equal priority pods are nominated to it (upstream). */
  private filterNode(inp: CycleInputs, state: CycleState, pod: PodInfo, ni: NodeInfo, skip: ReadonlySet<string>, nominated = inp.nominatedPods?.(ni.name)): Status {
    if (nominated?.length) {
      const view = this.nominatedViews.get(ni, nominated, pod, this.pass.length);
      if (view.others.length) {
        const s2 = state.clone();
        for (const o of view.others) {
          const s = inp.fwk.runPreFilterExtension('add', s2, pod, o, view.node, skip);
          if (!isSuccess(s)) return s;
        }
        const s = inp.fwk.runFilter(s2, pod, view.node, (s2.read<Set<string>>(SKIP_FILTER_KEY) ?? skip));
        if (!isSuccess(s)) return s;
      }
    }
    return inp.fwk.runFilter(state, pod, ni, skip);
  }

  private score(inp: CycleInputs, state: CycleState, pod: PodInfo, feasible: readonly NodeInfo[], evaluatedNodes: number, details: boolean): Outcome {
    const { fwk } = inp;
    const skipScore = new Set<string>();
    const pre = fwk.runPreScore(state, pod, feasible, skipScore);
    if (!isSuccess(pre)) return { kind: 'error', status: pre };
    const start = performance.now();
    const extras: ExtraScore[] = [];
    const columns = inp.snapshot.columns();
    let status: Status = SUCCESS;
    for (const e of fwk.score) {
      if (e.kind === 'kernel' || skipScore.has(e.plugin.name)) continue;
      if (e.kind === 'column') {
        let s: Status;
        const t0 = performance.now();
        try {
          s = e.plugin.scoreColumn(state, pod, feasible, e.raw, columns);
        } catch (err) {
          s = errorStatus(err as Error);
        }
        fwk.observePlugin(state, e.plugin.name, 'Score', s, t0);
        if (!isSuccess(s)) {
          status = { ...s, plugin: e.plugin.name };
          break;
        }
        extras.push({ name: e.plugin.name, normalization: e.normalization, weight: e.weight, raw: e.raw, ...containersOf(e.normalization, pod) });
      } else {
        const s = this.nodeScores(e.plugin, state, pod, feasible, e.raw);
        if (!isSuccess(s)) {
          status = { ...s, plugin: e.plugin.name };
          break;
        }
        extras.push({ name: e.plugin.name, normalization: 'none', weight: e.weight, raw: e.raw });
      }
    }
    if (isSuccess(status) && extras.length > MAX_EXTRA_SCORES) status = errorStatus(new Error(`at most ${MAX_EXTRA_SCORES} score plugins besides NodeResourcesFit and NodeResourcesBalancedAllocation, got ${extras.length}`));
    if (!isSuccess(status)) {
      fwk.observeScore(status, start);
      return { kind: 'error', status };
    }
    const r = pod.requests;
    const result = inp.scorer.score({
      pod: { milliCpu: r.milliCpu, memory: r.memory, nonZeroMilliCpu: pod.nonZeroRequests.milliCpu, nonZeroMemory: pod.nonZeroRequests.memory },
      feasible: this.mask,
      fitFilter: false,
      fit: fwk.kernelFit(skipScore),
      balancedWeight: fwk.kernelBalancedWeight(skipScore),
      extras,
      seed: this.seed,
      details,
    });
    this.seed = result.nextSeed;
    fwk.observeScore(SUCCESS, start);
    if (result.best < 0) return { kind: 'error', status: errorStatus(new Error('the scorer found no feasible node among the filtered ones')) };
    return { kind: 'scheduled', node: inp.snapshot.nodeList[result.best]!, evaluatedNodes, feasibleNodes: feasible.length, score: result, feasible, extras };
  }

  /** A per-node ScorePlugin adapted to a column: score(), then its normalizeScore(), 0..100 expected. */
  private nodeScores(plugin: import('./framework/interfaces.js').ScorePlugin, state: CycleState, pod: PodInfo, feasible: readonly NodeInfo[], raw: Float64Array): Status {
    const list: { name: string; score: number }[] = [];
    try {
      for (const ni of feasible) {
        const r = plugin.score(state, pod, ni);
        if (!isSuccess(r.status)) return r.status;
        list.push({ name: ni.name, score: r.score });
      }
      if (plugin.normalizeScore) {
        const s = plugin.normalizeScore(state, pod, list);
        if (!isSuccess(s)) return s;
      }
    } catch (e) {
      return errorStatus(e as Error);
    }
    for (let i = 0; i < feasible.length; i++) {
      const score = list[i]!.score;
      if (!(score >= 0 && score <= 100)) return errorStatus(new Error(`plugin "${plugin.name}" returns an invalid score ${score}, it should in the range of [0, 100] after normalizing`));
      raw[feasible[i]!.index] = Math.trunc(score);
    }
    return SUCCESS;
  }
}

function containersOf(normalization: string, pod: PodInfo): { containers?: number } {
  if (normalization !== 'imageLocality') return {};
  const spec = pod.pod.spec;
  return { containers: ((spec.containers as unknown[] | undefined)?.length ?? 0) + ((spec.initContainers as unknown[] | undefined)?.length ?? 0) };
}

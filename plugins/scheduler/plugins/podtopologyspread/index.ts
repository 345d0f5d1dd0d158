// PodTopologySpread (PreFilter, Filter, PreScore, Score as a `topologySpread` column): spreads
// pods across topology domains by spec.topologySpreadConstraints, or by the configured default
// constraints for pods that belong to a Service / RC / RS / StatefulSet (see ADVANCED.md).
import type { Normalization } from '../../../../wasm/score/types.js';
import {
  SUCCESS, errorStatus, status,
  type BatchFilterPlugin, type ClusterEventWithHint, type ColumnScorePlugin, type CycleState, type EnqueueExtensions, type Handle, type NodeColumns,
  type NodeInfo, type PluginFactory, type Pod, type PodInfo, type PreFilterExtensions, type PreFilterPlugin, type PreFilterResult,
  type PreScorePlugin, type Status,
} from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import { QUEUE, SKIP, asNodes, asPods, eventsFor } from '../shared/events.js';
import { validatePodTopologySpreadArgs, type PodTopologySpreadArgs } from './args.js';
import { nodeHasAllTopologyKeys, podConstraints, type Constraint } from './constraints.js';
import { ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH, PreFilterState, computePreFilterState, judgeNode } from './filtering.js';
import { computePreScoreState, rawScore, type PreScoreState } from './scoring.js';
import { SpreadColumns } from './columns.js';
import { ColumnarPreScore } from './scoring-columns.js';
import { NodeChanges } from '../shared/changes.js';
import { fixedRejection } from '../shared/status.js';

export { ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH } from './filtering.js';

const PRE_FILTER_KEY = `PreFilter${Names.PodTopologySpread}`;
const PRE_SCORE_KEY = `PreScore${Names.PodTopologySpread}`;
const REJECT_MISSING_LABEL = fixedRejection(Names.PodTopologySpread, 'UnschedulableAndUnresolvable', ERR_REASON_NODE_LABEL_NOT_MATCH);
const REJECT_SKEW = fixedRejection(Names.PodTopologySpread, 'Unschedulable', ERR_REASON_CONSTRAINTS_NOT_MATCH);

export class PodTopologySpread implements PreFilterPlugin, BatchFilterPlugin, PreScorePlugin, ColumnScorePlugin, EnqueueExtensions {
  readonly name = Names.PodTopologySpread;
  readonly normalization: Normalization = 'topologySpread';
  private readonly systemDefaulted: boolean;
  private readonly columns = new SpreadColumns();

  constructor(private readonly args: PodTopologySpreadArgs, private readonly handle: Handle) {
    this.systemDefaulted = args.defaultingType === 'System';
  }

  private constraints(pod: Pod, action: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
    return podConstraints(pod, action, this.args.effectiveDefaults, this.handle);
  }

  preFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): { result?: PreFilterResult; status: Status } {
    const constraints = this.constraints(pod.pod, 'DoNotSchedule');
    if (constraints.length === 0) return { status: status('Skip') };
    // All nodes of a snapshot with columns (the scheduler's): the columnar form of the same count.
    const columns = this.handle.snapshot().columns?.();
    const all = columns !== undefined && nodes.length === columns.count && nodes === columns.nodes;
    state.write(PRE_FILTER_KEY, all ? this.columns.preFilterState(pod.pod, constraints, columns, NodeChanges.of(columns).scan(columns, state)) : computePreFilterState(pod.pod, constraints, nodes));
    return { status: SUCCESS };
  }

  filterBatch(state: CycleState, pod: PodInfo, _nodes: readonly NodeInfo[], pass: Uint8Array, columns?: NodeColumns): boolean {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s || !columns) return false;
    this.columns.screen(s, pod, columns, pass, NodeChanges.of(columns).scan(columns, state));
    return true;
  }

  preFilterExtensions(): PreFilterExtensions {
    const update = (state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo, delta: 1 | -1): Status => {
      const s = state.read<PreFilterState>(PRE_FILTER_KEY);
      if (!s) return errorStatus(new Error(`reading "${PRE_FILTER_KEY}" from cycleState: not found`));
      s.updateWithPod(pod.pod, other.pod, node.node, delta);
      return SUCCESS;
    };
    return {
      addPod: (state, pod, added, node) => update(state, pod, added, node, 1),
      removePod: (state, pod, removed, node) => update(state, pod, removed, node, -1),
    };
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return errorStatus(new Error(`reading "${PRE_FILTER_KEY}" from cycleState: not found`));
    switch (judgeNode(s, pod, node.node)) {
      case 'fits':
        return SUCCESS;
      case 'missingLabel':
        return REJECT_MISSING_LABEL;
      default:
        return REJECT_SKEW;
    }
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status {
    const all = this.handle.snapshot().list();
    if (nodes.length === 0 || all.length === 0) return status('Skip');
    const constraints = this.constraints(pod.pod, 'ScheduleAnyway');
    if (constraints.length === 0) return status('Skip');
    const requireAll = (pod.pod.spec?.topologySpreadConstraints ?? []).length > 0 || !this.systemDefaulted;
    // All nodes of a snapshot with columns (the scheduler's): the columnar form of the same scores.
    const columns = this.handle.snapshot().columns?.();
    state.write(PRE_SCORE_KEY, columns && columns.nodes === all && columns.count === all.length
      ? this.columns.preScore(pod.pod, constraints, nodes, columns, requireAll, NodeChanges.of(columns).scan(columns, state))
      : computePreScoreState(pod.pod, constraints, nodes, all, requireAll));
    return SUCCESS;
  }

  scoreColumn(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], raw: Float64Array): Status {
    const s = state.read<PreScoreState | ColumnarPreScore>(PRE_SCORE_KEY);
    if (!s) return errorStatus(new Error(`reading "${PRE_SCORE_KEY}" from cycleState: not found`));
    if (s instanceof ColumnarPreScore) for (const ni of nodes) raw[ni.index] = s.rawScore(ni);
    else for (const ni of nodes) raw[ni.index] = rawScore(s, pod.pod, ni);
    return SUCCESS;
  }

  /** Pods matching a constraint's selector and nodes with the topology keys can change the answer. */
  eventsToRegister(): ClusterEventWithHint[] {
    const podHint = (pod: Pod, oldObj: unknown, newObj: unknown) => {
      const { oldPod, newPod } = asPods(oldObj as Pod | undefined, newObj as Pod | undefined);
      const ns = pod.metadata.namespace ?? 'default';
      const constraints = this.constraints(pod, 'DoNotSchedule');
      for (const p of [oldPod, newPod]) {
        if (!p || (p.metadata.namespace ?? 'default') !== ns) continue;
        if (constraints.some((c) => c.selector.matches(p.metadata.labels as Record<string, string> | undefined))) return QUEUE;
      }
      return SKIP;
    };
    const nodeHint = (pod: Pod, oldObj: unknown, newObj: unknown) => {
      const { oldNode, newNode } = asNodes(oldObj as never, newObj as never);
      const constraints = this.constraints(pod, 'DoNotSchedule');
      return [oldNode, newNode].some((n) => n && nodeHasAllTopologyKeys(n, constraints)) ? QUEUE : SKIP;
    };
    return [
      ...eventsFor('AssignedPod', ['Add', 'Delete', 'UpdatePodLabel'], podHint),
      ...eventsFor('Node', ['Add', 'Delete', 'UpdateNodeLabel', 'UpdateNodeTaint'], nodeHint),
    ];
  }
}

export const podTopologySpreadFactory: PluginFactory<PodTopologySpreadArgs> = {
  name: Names.PodTopologySpread,
  validate: validatePodTopologySpreadArgs,
  create: (args, handle) => new PodTopologySpread(args, handle),
};

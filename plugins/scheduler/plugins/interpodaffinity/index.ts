// InterPodAffinity (PreFilter, Filter, PreScore, Score as a `minMax` column): required and
// preferred pod affinity / anti-affinity, of the incoming pod and of the pods already placed.
import type { Normalization } from '../../../../wasm/score/types.js';
import {
  SUCCESS, errorStatus, status,
  type ClusterEventWithHint, type ColumnScorePlugin, type CycleState, type EnqueueExtensions, type BatchFilterPlugin, type Handle,
  type NodeColumns, type NodeInfo, type PluginFactory, type Pod, type PodInfo, type PreFilterExtensions, type PreFilterPlugin, type PreFilterResult,
  type PreScorePlugin, type Status,
} from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import { newPodInfo, termMatchesPod } from '../../framework/podinfo.js';
import { QUEUE, SKIP, asPods, eventsFor } from '../shared/events.js';
import { ArgsError, fieldError, isInteger, readArgsObject } from '../shared/fielderrors.js';
import {
  ERR_REASON_AFFINITY_RULES_NOT_MATCH, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH, ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
  PreFilterState, computePreFilterState, screenNodes, satisfiesAffinity, satisfiesAntiAffinity, satisfiesExistingPodsAntiAffinity,
} from './filtering.js';
import { computeTopologyScore, hasPreferredTerms, nodeScore, scoreNodes, tallyTopologyScore, type ScoringArgs, type TopologyScore } from './scoring.js';
import { tallyPreFilterState } from './tally.js';
import { Tallies } from '../shared/domain-counts.js';
import { NodeChanges } from '../shared/changes.js';
import { DomainIndexes } from '../shared/domains.js';
import { GenerationMemo } from '../shared/generation-memo.js';
import { fixedRejection } from '../shared/status.js';

export { ERR_REASON_AFFINITY_RULES_NOT_MATCH, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH, ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH } from './filtering.js';

const KIND = 'InterPodAffinityArgs';
const PRE_FILTER_KEY = `PreFilter${Names.InterPodAffinity}`;
const PRE_SCORE_KEY = `PreScore${Names.InterPodAffinity}`;

export type InterPodAffinityArgs = ScoringArgs;

const REJECT_AFFINITY = fixedRejection(Names.InterPodAffinity, 'UnschedulableAndUnresolvable', ERR_REASON_AFFINITY_RULES_NOT_MATCH);
const REJECT_ANTI_AFFINITY = fixedRejection(Names.InterPodAffinity, 'Unschedulable', ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
const REJECT_EXISTING_ANTI_AFFINITY = fixedRejection(Names.InterPodAffinity, 'Unschedulable', ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);

export function validateInterPodAffinityArgs(args: unknown): InterPodAffinityArgs {
  const a = readArgsObject(args, KIND, ['hardPodAffinityWeight', 'ignorePreferredTermsOfExistingPods']);
  const errors: string[] = [];
  const weight = a.hardPodAffinityWeight ?? 1;
  if (!isInteger(weight) || weight < 0 || weight > 100) errors.push(fieldError.invalid(`${KIND}.hardPodAffinityWeight`, weight, 'not in valid range [0, 100]'));
  const ignore = a.ignorePreferredTermsOfExistingPods ?? false;
  if (typeof ignore !== 'boolean') errors.push(fieldError.typeInvalid(`${KIND}.ignorePreferredTermsOfExistingPods`, ignore, 'must be a boolean'));
  if (errors.length) throw new ArgsError(errors);
  return { hardPodAffinityWeight: weight as number, ignorePreferredTermsOfExistingPods: ignore as boolean };
}

export class InterPodAffinity implements PreFilterPlugin, BatchFilterPlugin, PreScorePlugin, ColumnScorePlugin, EnqueueExtensions {
  readonly name = Names.InterPodAffinity;
  readonly normalization: Normalization = 'minMax';

  private readonly memo = new GenerationMemo();
  private readonly domains = new DomainIndexes();
  /** Counts and scores by topology domain kept across cycles (with the scheduler's columns). */
  private readonly tallies = new Tallies((key) => this.domains.index(key));

  constructor(private readonly args: InterPodAffinityArgs, private readonly handle: Handle) {}

  preFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): { result?: PreFilterResult; status: Status } {
    const snapshot = this.handle.snapshot();
    // No terms and no placed pod with required anti-affinity: nothing can be counted (no pass over the nodes).
    if (pod.requiredAffinityTerms.length === 0 && pod.requiredAntiAffinityTerms.length === 0 && snapshot.havePodsWithRequiredAntiAffinity().length === 0) return { status: status('Skip') };
    const columns = snapshot.columns?.();
    const s = columns && columns.nodes === nodes && columns.count === nodes.length
      ? tallyPreFilterState(pod, snapshot, columns, this.tallies, this.domains, NodeChanges.of(columns).scan(columns, state))
      : computePreFilterState(pod, snapshot, nodes, this.memo);
    if (s.existingAntiAffinity.size === 0 && pod.requiredAffinityTerms.length === 0 && pod.requiredAntiAffinityTerms.length === 0) return { status: status('Skip') };
    state.write(PRE_FILTER_KEY, s);
    return { status: SUCCESS };
  }

  preFilterExtensions(): PreFilterExtensions {
    const update = (state: CycleState, other: PodInfo, node: NodeInfo, delta: 1 | -1): Status => {
      const s = state.read<PreFilterState>(PRE_FILTER_KEY);
      if (!s) return errorStatus(new Error(`reading "${PRE_FILTER_KEY}" from cycleState: not found`));
      s.updateWithPod(other, node.node, delta);
      return SUCCESS;
    };
    return {
      addPod: (state, _pod, added, node) => update(state, added, node, 1),
      removePod: (state, _pod, removed, node) => update(state, removed, node, -1),
    };
  }

  /** filter() for all nodes without a Status per node (one loop, no call per node). */
  filterBatch(state: CycleState, _pod: PodInfo, nodes: readonly NodeInfo[], pass: Uint8Array, columns?: NodeColumns): boolean {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return false;
    if (columns) {
      screenNodes(s, columns, this.domains, pass, NodeChanges.of(columns).scan(columns, state));
      return true;
    }
    for (let i = 0; i < nodes.length; i++) {
      const ni = nodes[i]!;
      if (!satisfiesAffinity(s, ni.node) || !satisfiesAntiAffinity(s, ni.node) || !satisfiesExistingPodsAntiAffinity(s, ni.node)) pass[ni.index] = 0;
    }
    return true;
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return errorStatus(new Error(`reading "${PRE_FILTER_KEY}" from cycleState: not found`));
    // Removing pods cannot create a missing affinity match, so preemption does not try (upstream).
    if (!satisfiesAffinity(s, node.node)) return REJECT_AFFINITY;
    if (!satisfiesAntiAffinity(s, node.node)) return REJECT_ANTI_AFFINITY;
    if (!satisfiesExistingPodsAntiAffinity(s, node.node)) return REJECT_EXISTING_ANTI_AFFINITY;
    return SUCCESS;
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status {
    if (nodes.length === 0) return status('Skip');
    const snapshot = this.handle.snapshot();
    // No preferred terms and no placed pod with terms: nothing to score (no pass over the nodes).
    if (!hasPreferredTerms(pod) && snapshot.havePodsWithAffinity().length === 0) return status('Skip');
    const columns = snapshot.columns?.();
    const m = columns ? tallyTopologyScore(pod, snapshot, this.args, columns, this.tallies, this.domains, NodeChanges.of(columns).scan(columns, state)) : computeTopologyScore(pod, snapshot, this.args);
    if (!m) return status('Skip');
    state.write(PRE_SCORE_KEY, m);
    return SUCCESS;
  }

  scoreColumn(state: CycleState, _pod: PodInfo, nodes: readonly NodeInfo[], raw: Float64Array, columns?: NodeColumns): Status {
    const m = state.read<TopologyScore>(PRE_SCORE_KEY);
    if (!m) return errorStatus(new Error(`reading "${PRE_SCORE_KEY}" from cycleState: not found`));
    if (columns) scoreNodes(m, nodes, raw, columns, this.domains, NodeChanges.of(columns).scan(columns, state));
    else for (const ni of nodes) raw[ni.index] = nodeScore(m, ni);
    return SUCCESS;
  }

  /**
   * A placed pod that one of the pending pod's terms selects, or that carries (anti-)affinity
   * terms itself, can change the answer; so can any node label change.
   */
  eventsToRegister(): ClusterEventWithHint[] {
    const podHint = (pod: Pod, oldObj: unknown, newObj: unknown) => {
      const { oldPod, newPod } = asPods(oldObj as Pod | undefined, newObj as Pod | undefined);
      const info = newPodInfo(pod);
      const terms = [...info.requiredAffinityTerms, ...info.requiredAntiAffinityTerms, ...info.preferredAffinityTerms, ...info.preferredAntiAffinityTerms];
      const snapshot = this.handle.snapshot();
      for (const p of [oldPod, newPod]) {
        if (!p) continue;
        if ((p.spec?.affinity as Record<string, unknown> | undefined)?.podAntiAffinity || (p.spec?.affinity as Record<string, unknown> | undefined)?.podAffinity) return QUEUE;
        const ns = snapshot.namespaceLabels(p.metadata.namespace ?? 'default');
        if (terms.some((t) => termMatchesPod(t, p, ns))) return QUEUE;
      }
      return SKIP;
    };
    return [...eventsFor('AssignedPod', ['Add', 'Delete', 'UpdatePodLabel'], podHint), ...eventsFor('Node', ['Add', 'UpdateNodeLabel'])];
  }
}

export const interPodAffinityFactory: PluginFactory<InterPodAffinityArgs> = {
  name: Names.InterPodAffinity,
  validate: validateInterPodAffinityArgs,
  create: (args, handle) => new InterPodAffinity(args, handle),
};

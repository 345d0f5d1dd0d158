// NodeAffinity (PreFilter, Filter, PreScore, Score): spec.nodeSelector and required node affinity
// terms filter nodes; preferred terms' weights are summed per node and normalized by the kernel
// (`default`: 100 × raw / max). The profile's addedAffinity (args) applies to every pod.
import type {
  BatchFilterPlugin, ClusterEventWithHint, ColumnScorePlugin, CycleState, EnqueueExtensions, Node, NodeColumns, NodeInfo, PluginFactory, PodInfo, PreFilterPlugin,
  PreFilterResult, PreScorePlugin, Status,
} from '../../framework/interfaces.js';
import { SUCCESS, errorStatus, status } from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import { asNodes, eventsFor, QUEUE, SKIP } from '../shared/events.js';
import { fixedRejection } from '../shared/status.js';
import {
  compileNodeSelectorTerms, compilePreferredSchedulingTerms, NODE_NAME_FIELD, requiredNodeAffinity, type CompiledPreferredTerms, type NodeSelectorTerm,
} from '../shared/nodeselector.js';
import { NodeVerdicts } from '../shared/verdicts.js';
import { validateNodeAffinityArgs, type NodeAffinityArgs } from './args.js';

export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';
const PREFILTER_KEY = 'PreFilterNodeAffinity';
/** The required selector's content (JSON), the key of remembered matchers and verdicts. */
const SELECTOR_KEY = 'PreFilterNodeAffinity/selector';
const PRESCORE_KEY = 'PreScoreNodeAffinity';
const REJECT_POD = fixedRejection(Names.NodeAffinity, 'UnschedulableAndUnresolvable', ERR_REASON_POD);
const REJECT_ENFORCED = fixedRejection(Names.NodeAffinity, 'UnschedulableAndUnresolvable', ERR_REASON_ENFORCED);

type NodeMatcher = (node: Node) => boolean;

function requiredTermsOf(pod: PodInfo): NodeSelectorTerm[] | undefined {
  const required = pod.pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution as { nodeSelectorTerms?: NodeSelectorTerm[] } | undefined;
  return required ? (required.nodeSelectorTerms ?? []) : undefined;
}

/**
 * Node names the required terms allow, when every term pins `metadata.name` with In (terms are
 * ORed, so one term without such a requirement allows all nodes → undefined).
 */
export function nodeNamesFromTerms(terms: readonly NodeSelectorTerm[]): Set<string> | undefined {
  let union: Set<string> | undefined;
  for (const t of terms) {
    let names: Set<string> | undefined;
    for (const r of t.matchFields ?? []) {
      if (r.key !== NODE_NAME_FIELD || r.operator !== 'In') continue;
      const s = new Set(r.values ?? []);
      // Requirements within a term are ANDed: intersect.
      names = names ? new Set([...names].filter((n) => s.has(n))) : s;
    }
    if (!names) return undefined;
    union = union ?? new Set();
    for (const n of names) union.add(n);
  }
  return union;
}

export class NodeAffinity implements PreFilterPlugin, BatchFilterPlugin, PreScorePlugin, ColumnScorePlugin, EnqueueExtensions {
  readonly name = Names.NodeAffinity;
  readonly normalization = 'default' as const;
  private readonly addedRequired?: NodeMatcher;
  private readonly addedPreferred?: CompiledPreferredTerms;
  private readonly verdicts = new NodeVerdicts();
  /** Compiled required affinity by its content: the pods of one workload share one matcher. */
  private readonly matchers = new Map<string, NodeMatcher>();

  constructor(args: NodeAffinityArgs) {
    const added = args.addedAffinity;
    const req = added?.requiredDuringSchedulingIgnoredDuringExecution;
    if (req) this.addedRequired = compileNodeSelectorTerms(req.nodeSelectorTerms);
    const pref = added?.preferredDuringSchedulingIgnoredDuringExecution;
    if (pref?.length) this.addedPreferred = compilePreferredSchedulingTerms(pref);
  }

  preFilter(state: CycleState, pod: PodInfo): { result?: PreFilterResult; status: Status } {
    const terms = requiredTermsOf(pod);
    if (!terms && !this.addedRequired && !pod.pod.spec?.nodeSelector) return { status: status('Skip') };
    const spec = pod.pod.spec ?? {};
    const key = JSON.stringify([spec.nodeSelector ?? null, spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? null]);
    let matcher = this.matchers.get(key);
    if (!matcher) {
      if (this.matchers.size >= 64) this.matchers.clear();
      this.matchers.set(key, (matcher = requiredNodeAffinity(pod.pod)));
    }
    state.write(PREFILTER_KEY, matcher);
    state.write(SELECTOR_KEY, key);
    if (!terms || terms.length === 0) return { status: SUCCESS };
    const names = nodeNamesFromTerms(terms);
    if (!names) return { status: SUCCESS };
    // Every term pins conflicting names: no node can match.
    if (names.size === 0) return { status: status('UnschedulableAndUnresolvable', ERR_REASON_CONFLICT) };
    return { result: { nodeNames: names }, status: SUCCESS };
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (this.addedRequired && !this.addedRequired(node.node)) return REJECT_ENFORCED;
    // Without PreFilter (disabled), compute the matcher here, as upstream's fallback does.
    const matches = state.read<NodeMatcher>(PREFILTER_KEY) ?? requiredNodeAffinity(pod.pod);
    return matches(node.node) ? SUCCESS : REJECT_POD;
  }

  /** filter() for all nodes, with answers remembered per selector (pods of one workload share it). */
  filterBatch(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], pass: Uint8Array, columns?: NodeColumns): boolean {
    const matches = state.read<NodeMatcher>(PREFILTER_KEY);
    if (!matches) return false;
    const key = state.read<string>(SELECTOR_KEY);
    if (key === undefined) return false;
    const added = this.addedRequired;
    this.verdicts.screen(key, nodes, pass, added ? (n) => added(n) && matches(n) : matches, columns);
    return true;
  }

  private podPreferred(pod: PodInfo): CompiledPreferredTerms | undefined {
    const terms = pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
    return terms ? compilePreferredSchedulingTerms(terms) : undefined;
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status {
    if (nodes.length === 0) return SUCCESS;
    const preferred = this.podPreferred(pod);
    if (preferred?.errors.length) return errorStatus(new Error(preferred.errors.join('; ')));
    if (!preferred && !this.addedPreferred) return status('Skip');
    state.write(PRESCORE_KEY, preferred ?? null);
    return SUCCESS;
  }

  scoreColumn(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], raw: Float64Array): Status {
    let preferred = state.read<CompiledPreferredTerms | null>(PRESCORE_KEY);
    if (preferred === undefined) {
      preferred = this.podPreferred(pod) ?? null;
      if (preferred?.errors.length) return errorStatus(new Error(preferred.errors.join('; ')));
    }
    const added = this.addedPreferred;
    for (const ni of nodes) raw[ni.index] = (added ? added.score(ni.node) : 0) + (preferred ? preferred.score(ni.node) : 0);
    return SUCCESS;
  }

  /** Node Add|UpdateNodeLabel: queue when the node now matches (and did not before). */
  eventsToRegister(): ClusterEventWithHint[] {
    return eventsFor('Node', ['Add', 'UpdateNodeLabel'], (pod, oldObj, newObj) => {
      const { oldNode, newNode } = asNodes(oldObj, newObj);
      if (!newNode) return SKIP;
      if (this.addedRequired && !this.addedRequired(newNode)) return SKIP;
      const matches = requiredNodeAffinity(pod);
      if (!matches(newNode)) return SKIP;
      if (!oldNode) return QUEUE;
      return matches(oldNode) ? SKIP : QUEUE;
    });
  }
}

export const nodeAffinityFactory: PluginFactory<NodeAffinityArgs> = {
  name: Names.NodeAffinity,
  validate: validateNodeAffinityArgs,
  create: (args) => new NodeAffinity(args),
};

export { validateNodeAffinityArgs, type NodeAffinityArgs };

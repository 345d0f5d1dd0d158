// DefaultPreemption (PostFilter): when no node fits, find nodes where evicting lower-priority pods
// makes room (upstream 1.32 preemption.Evaluator with the default plugin's hooks), pick one,
// evict its victims, and nominate the node for the preemptor.
import {
  status,
  type CycleState, type Handle, type HandleExtensions, type NodeInfo, type PluginFactory, type PodInfo, type PostFilterPlugin,
  type PostFilterResult, type Status,
} from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import { MutableNodeInfo } from '../../framework/nodeinfo.js';
import { fitErrorMessage } from '../../cycle.js';
import { listObjects } from '../listers.js';
import { ArgsError, fieldError, isInteger, readArgsObject } from '../shared/fielderrors.js';
import { pickOneCandidate, type Candidate } from './select.js';
import { NodeResourcesFit } from '../noderesources/fit.js';
import { compilePdbs, copyNode, nominatedOthers, podPriority, resourcesRuleOut, selectVictimsOnNode, type TotalsFilter } from './victims.js';

export { NO_VICTIMS } from './victims.js';

const KIND = 'DefaultPreemptionArgs';
export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';

export interface DefaultPreemptionArgs {
  minCandidateNodesPercentage: number;
  minCandidateNodesAbsolute: number;
}

export function validateDefaultPreemptionArgs(args: unknown): DefaultPreemptionArgs {
  const a = readArgsObject(args, KIND, ['minCandidateNodesPercentage', 'minCandidateNodesAbsolute']);
  const pct = a.minCandidateNodesPercentage ?? 10;
  const abs = a.minCandidateNodesAbsolute ?? 100;
  const errors: string[] = [];
  const pPath = `${KIND}.minCandidateNodesPercentage`;
  const aPath = `${KIND}.minCandidateNodesAbsolute`;
  if (!isInteger(pct) || pct < 0 || pct > 100) errors.push(fieldError.invalid(pPath, pct, 'not in valid range [0, 100]'));
  if (!isInteger(abs) || abs < 0) errors.push(fieldError.invalid(aPath, abs, 'not in valid range [0, inf)'));
  if (pct === 0 && abs === 0) {
    errors.push(fieldError.invalid(pPath, pct, 'cannot be zero at the same time as minCandidateNodesAbsolute'));
    errors.push(fieldError.invalid(aPath, abs, 'cannot be zero at the same time as minCandidateNodesPercentage'));
  }
  if (errors.length) throw new ArgsError(errors);
  return { minCandidateNodesPercentage: pct as number, minCandidateNodesAbsolute: abs as number };
}

type Result = { result?: PostFilterResult; status: Status };

export class DefaultPreemption implements PostFilterPlugin {
  readonly name = Names.DefaultPreemption;
  /** Where the dry run starts among potential nodes (upstream: random); tests may pin it. */
  offset: (n: number) => number = (n) => Math.floor(Math.random() * n);
  /**
   * The dry runs' shortcuts (plugins/ADVANCED.md "DefaultPreemption"); tests turn them off to
   * compare with the long path.
   */
  resourceShortcut = true;

  constructor(private readonly args: DefaultPreemptionArgs, private readonly handle: Handle & HandleExtensions) {}

  /** Upstream calculateNumCandidates. */
  numCandidates(numNodes: number): number {
    const n = Math.trunc((numNodes * this.args.minCandidateNodesPercentage) / 100);
    return Math.min(Math.max(n, this.args.minCandidateNodesAbsolute), numNodes);
  }

  async postFilter(state: CycleState, pod: PodInfo, statuses: ReadonlyMap<string, Status>): Promise<Result> {
    const r = await this.preempt(state, pod, statuses);
    const msg = r.status.reasons.join(', ');
    return msg ? { result: r.result, status: { ...r.status, reasons: [`preemption: ${msg}`] } } : r;
  }

  /** Upstream PodEligibleToPreemptOthers. */
  private eligible(pod: PodInfo, statuses: ReadonlyMap<string, Status>): string | undefined {
    const p = pod.pod;
    const cls = p.spec.priorityClassName ? this.handle.priorityClasses().get(p.spec.priorityClassName as string) : undefined;
    if ((p.spec.preemptionPolicy ?? cls?.preemptionPolicy) === 'Never') return 'not eligible due to preemptionPolicy=Never.';
    const nominated = (p.status as { nominatedNodeName?: string } | undefined)?.nominatedNodeName;
    if (nominated) {
      // A nominated node the filters call unresolvable: try preempting again elsewhere.
      if (statuses.get(nominated)?.code === 'UnschedulableAndUnresolvable') return undefined;
      const ni = this.handle.snapshot().get(nominated);
      const prio = podPriority(p);
      if (ni?.pods.some((o) => o.pod.metadata.deletionTimestamp && podPriority(o.pod) < prio)) return 'not eligible due to a terminating pod on the nominated node.';
    }
    return undefined;
  }

  private async preempt(state: CycleState, pod: PodInfo, statuses: ReadonlyMap<string, Status>): Promise<Result> {
    const notEligible = this.eligible(pod, statuses);
    if (notEligible) return { status: status('Unschedulable', notEligible) };
    const all = this.handle.snapshot().list();
    if (all.length === 0) return { status: { code: 'Error', reasons: ['no nodes available'], error: new Error('no nodes available') } };

    // Only nodes a filter rejected as Unschedulable can be helped by removing pods.
    const potential = all.filter((n) => statuses.get(n.name)?.code === 'Unschedulable');
    const nodeToStatus = new Map<string, Status>();
    let candidates: Candidate[] = [];
    if (potential.length === 0) {
      await this.clearNomination(pod);
    } else {
      const pdbs = compilePdbs(listObjects(this.handle, 'poddisruptionbudgets') ?? []);
      const want = this.numCandidates(potential.length);
      const offset = this.offset(potential.length);
      const nonViolating: Candidate[] = [];
      const violating: Candidate[] = [];
      // Scratch copies for every dry run: a candidate keeps only its victims, not the copies.
      let scratch: MutableNodeInfo | undefined;
      let withNominated: MutableNodeInfo | undefined;
      const fit = this.resourceShortcut ? totalsFilterOf(this.handle, state) : undefined;
      // Lower-priority pods leave a dry run's copy at once when no PreFilter extension is told.
      const bulk = this.resourceShortcut && this.handle.preFilterExtensionsActive?.(state) === false;
      // Nodes NodeResourcesFit rules out before a dry run: never candidates, their dry runs (for
      // their Status) are needed only when no node is a candidate (the FitError message).
      const ruledOut: { ni: NodeInfo; others: readonly PodInfo[] }[] = [];
      const dryRun = (ni: NodeInfo, others: readonly PodInfo[]) => {
        scratch ??= new MutableNodeInfo(ni.node, ni.index);
        withNominated ??= new MutableNodeInfo(ni.node, ni.index);
        const r = selectVictimsOnNode(this.handle, state.clone(), pod, copyNode(ni, scratch), pdbs, others, withNominated, fit, bulk);
        if (r.status.code === 'Success' && r.victims && r.victims.pods.length > 0) return r.victims;
        return r.status.code === 'Success' ? { code: 'Error' as const, reasons: [`expected at least one victim pod on node "${ni.name}"`] } : r.status;
      };
      for (let i = 0; i < potential.length; i++) {
        const ni: NodeInfo = potential[(offset + i) % potential.length]!;
        const others = nominatedOthers(this.handle, pod, ni.name);
        if (fit && resourcesRuleOut(fit, pod, ni, others)) {
          ruledOut.push({ ni, others });
          continue;
        }
        const r = dryRun(ni, others);
        if ('pods' in r) {
          (r.numPdbViolations === 0 ? nonViolating : violating).push({ node: ni.name, victims: r });
          if (nonViolating.length > 0 && nonViolating.length + violating.length >= want) break;
          continue;
        }
        if (r.code === 'Error') return { status: r };
        nodeToStatus.set(ni.name, r);
      }
      candidates = [...nonViolating, ...violating];
      if (candidates.length === 0) {
        for (const { ni, others } of ruledOut) {
          const r = dryRun(ni, others);
          if ('pods' in r) return { status: { code: 'Error', reasons: [`node "${ni.name}" was ruled out by its resources but has victims`] } };
          if (r.code === 'Error') return { status: r };
          nodeToStatus.set(ni.name, r);
        }
      }
    }

    if (candidates.length === 0) {
      const message = fitErrorMessage({
        numAllNodes: all.length,
        nodeToStatus,
        absentStatus: status('UnschedulableAndUnresolvable', NOT_HELPFUL),
        unschedulablePlugins: new Set(),
        pendingPlugins: new Set(),
      });
      return { result: { nominatedNodeName: '' }, status: status('Unschedulable', message) };
    }

    const best = pickOneCandidate(candidates);
    if (!best) return { status: status('Unschedulable', 'no candidate node for preemption') };
    await this.prepareCandidate(best, pod);
    return { result: { nominatedNodeName: best.node }, status: status('Success') };
  }

  /** Upstream prepareCandidate: evict (or reject waiting) victims, clear lower nominations, nominate. */
  private async prepareCandidate(c: Candidate, pod: PodInfo): Promise<void> {
    const preemptor = pod.pod;
    await Promise.all(
      c.victims.pods.map(async (victim) => {
        const waiting = victim.metadata.uid ? this.handle.getWaitingPod?.(victim.metadata.uid) : undefined;
        if (waiting) waiting.reject(this.name, 'preempted');
        else await this.handle.evict(victim, preemptor);
        this.handle.event(victim, 'Normal', 'Preempted', `Preempted by pod ${preemptor.metadata.uid ?? ''} on node ${c.node}`);
      }),
    );
    const prio = podPriority(preemptor);
    const lower = (this.handle.nominatedPodsForNode?.(c.node) ?? []).filter((p) => podPriority(p.pod) < prio && p.pod.metadata.uid !== preemptor.metadata.uid);
    await Promise.all(lower.map((p) => this.handle.nominate(p.pod, undefined).catch(() => undefined)));
    await this.handle.nominate(preemptor, c.node);
  }

  private async clearNomination(pod: PodInfo): Promise<void> {
    if ((pod.pod.status as { nominatedNodeName?: string } | undefined)?.nominatedNodeName) {
      // Not critical (upstream logs and continues).
      await this.handle.nominate(pod.pod, undefined).catch(() => undefined);
    }
  }
}

/** NodeResourcesFit when it filters in this cycle: its verdict on totals is then a Filter's verdict. */
function totalsFilterOf(handle: Handle & HandleExtensions, state: CycleState): TotalsFilter | undefined {
  const filters = handle.activeFilterPlugins?.(state);
  if (!filters) return undefined;
  for (const f of filters) if (f instanceof NodeResourcesFit) return f;
  return undefined;
}

export const defaultPreemptionFactory: PluginFactory<DefaultPreemptionArgs> = {
  name: Names.DefaultPreemption,
  validate: validateDefaultPreemptionArgs,
  create: (args, handle) => new DefaultPreemption(args, handle as Handle & HandleExtensions),
};

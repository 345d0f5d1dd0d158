// The scheduler plugin contract suite: drives a PluginFactory (a vendor's or Kite's own) through
// every extension point it implements, on a generated cluster held by the real scheduler cache,
// and checks what the framework relies on (README.md lists the checks). It needs no store and no
// nats-server: plugins get a Handle over the cache's snapshot.
import type { Test } from 'tap';
import { ReferenceScorer } from '../../../wasm/score/reference.js';
import { SchedulerCache, type CacheSnapshot } from '../../../plugins/scheduler/cache.js';
import {
  CycleState, isBatchFilter,
  type Code, type ColumnScorePlugin, type EnqueueExtensions, type FilterPlugin, type KernelScorePlugin, type Node, type NodeInfo,
  type PermitPlugin, type Pod, type PodInfo, type PluginFactory, type PreFilterPlugin, type PreScorePlugin, type ReservePlugin,
  type SchedulerPlugin, type ScorePlugin, type Status,
} from '../../../plugins/scheduler/framework/interfaces.js';
import { newPodInfo } from '../../../plugins/scheduler/framework/podinfo.js';
import { FakeHandle } from '../../../plugins/scheduler/plugins/testing.js';
import { generateCluster, generateIncomingPods } from './cluster.js';

export interface SchedulerPluginConformanceOptions {
  factory: PluginFactory;
  /** Args handed to validate() (default undefined: the plugin's defaults). */
  args?: unknown;
  /** Extra incoming pods besides the generated ones (e.g. pods the plugin has opinions on). */
  pods?: Pod[];
  /** Extra nodes besides the generated ones. */
  nodes?: Node[];
  /** Seed of the generated cluster (default 1). */
  seed?: number;
}

const CODES: ReadonlySet<Code> = new Set(['Success', 'Error', 'Unschedulable', 'UnschedulableAndUnresolvable', 'Wait', 'Skip', 'Pending']);
const NORMALIZATIONS = new Set(['none', 'default', 'defaultReverse', 'minMax', 'imageLocality', 'topologySpread']);
const RESOURCES = new Set(['Pod', 'AssignedPod', 'Node', 'PersistentVolume', 'PersistentVolumeClaim', 'StorageClass', 'Namespace', 'PriorityClass']);
const ACTIONS = new Set(['Add', 'Delete', 'Update', 'UpdateNodeAllocatable', 'UpdateNodeLabel', 'UpdateNodeTaint', 'UpdateNodeCondition', 'UpdatePodLabel', 'UpdatePodScaleDown', 'All']);
const POINTS = ['preEnqueue', 'less', 'preFilter', 'filter', 'postFilter', 'preScore', 'kernelScore', 'scoreColumn', 'score', 'reserve', 'permit', 'preBind', 'bind', 'postBind'];

/** Problems found, per check, so one run reports all of them. */
class Findings {
  private readonly byCheck = new Map<string, string[]>();
  add(check: string, problem: string): void {
    const list = this.byCheck.get(check) ?? [];
    if (list.length < 5) list.push(problem);
    this.byCheck.set(check, list);
  }
  report(t: Test, check: string): void {
    const list = this.byCheck.get(check) ?? [];
    t.same(list, [], check);
  }
}

function statusProblem(s: unknown, allowed: ReadonlySet<Code> = CODES): string | undefined {
  if (!s || typeof s !== 'object') return `not a Status: ${JSON.stringify(s)}`;
  const st = s as Status;
  if (!allowed.has(st.code)) return `code ${JSON.stringify(st.code)} is not one of ${[...allowed].join(', ')}`;
  if (!Array.isArray(st.reasons)) return `reasons is not an array (code ${st.code})`;
  if ((st.code === 'Unschedulable' || st.code === 'UnschedulableAndUnresolvable') && !st.reasons.some((r) => typeof r === 'string' && r.length > 0)) {
    return `a ${st.code} Status needs a reason (it becomes the FailedScheduling text)`;
  }
  return undefined;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

/** Runs the contract checks as tap subtests of `t`. */
export async function runSchedulerPluginConformance(t: Test, opts: SchedulerPluginConformanceOptions): Promise<void> {
  const { factory } = opts;

  await t.test('factory', async (t) => {
    t.match(factory.name, /^[A-Z][A-Za-z0-9]*$/, 'the name is PascalCase, as upstream plugin names');
    t.doesNotThrow(() => factory.validate(opts.args), 'validate() accepts the given args (or undefined: the defaults)');
    t.throws(() => factory.validate(42), 'validate() refuses args that are not an object');
    t.throws(() => factory.validate('nonsense'), 'validate() refuses a string');
  });

  const args = factory.validate(opts.args);
  const cache = new SchedulerCache(new ReferenceScorer(256));
  const { nodes, placed, namespaces } = generateCluster(opts.seed ?? 1);
  for (const n of [...nodes, ...(opts.nodes ?? [])]) cache.addNode(deepFreeze(n));
  for (const [ns, labels] of Object.entries(namespaces)) cache.setNamespace(ns, labels);
  for (const p of placed) cache.addPod(deepFreeze(p));
  const snap: CacheSnapshot = cache.newSnapshot();
  const handle = new FakeHandle(snap as never, { objects: {} });
  const plugin = factory.create(args, handle) as SchedulerPlugin & Record<string, unknown>;
  const incoming = [...generateIncomingPods(opts.seed ?? 1), ...(opts.pods ?? [])].map((p) => newPodInfo(deepFreeze(p)));

  await t.test('plugin object', async (t) => {
    t.equal(plugin.name, factory.name, 'the plugin carries its factory\'s name (statuses and metrics use it)');
    t.ok(POINTS.some((p) => typeof plugin[p] === 'function' || (p === 'kernelScore' && plugin.kernelScore)), 'implements at least one extension point');
    if (typeof plugin.scoreColumn === 'function') t.ok(NORMALIZATIONS.has(String((plugin as unknown as ColumnScorePlugin).normalization)), 'a score column declares a known normalization');
    if (plugin.kernelScore) {
      const k = (plugin as unknown as KernelScorePlugin).kernelScore as { kind?: string };
      t.ok(k.kind === 'fit' || k.kind === 'balanced', 'a kernel score is `fit` or `balanced`');
    }
  });

  const f = new Findings();
  const checks: string[] = [];
  const check = (name: string) => {
    checks.push(name);
    return name;
  };
  const all = snap.nodeList;
  const columns = snap.columns();
  const preFilter = typeof plugin.preFilter === 'function' ? (plugin as unknown as PreFilterPlugin) : undefined;
  const filter = typeof plugin.filter === 'function' ? (plugin as unknown as FilterPlugin) : undefined;
  const preScore = typeof plugin.preScore === 'function' ? (plugin as unknown as PreScorePlugin) : undefined;
  const column = typeof plugin.scoreColumn === 'function' ? (plugin as unknown as ColumnScorePlugin) : undefined;
  const nodeScore = typeof plugin.score === 'function' ? (plugin as unknown as ScorePlugin) : undefined;

  const cPre = check('PreFilter returns a valid Status, and nodeNames only name existing nodes');
  const cFilter = check('Filter returns a valid Status for every node, the same twice, and does not change its inputs');
  const cBatch = check('filterBatch agrees with filter() on every node and never re-admits a node');
  const cPreScore = check('PreScore returns a valid Status');
  const cScore = check('scores are finite integers per feasible node (0..100 when the normalization is none), the same with and without columns');
  for (const pod of incoming) {
    const state = new CycleState();
    let skipFilter = false;
    if (preFilter) {
      let r: ReturnType<PreFilterPlugin['preFilter']> | undefined;
      try {
        r = preFilter.preFilter(state, pod, all);
      } catch (e) {
        f.add(cPre, `${pod.pod.metadata.name}: threw ${(e as Error).message}`);
        continue;
      }
      const p = statusProblem(r?.status);
      if (p) f.add(cPre, `${pod.pod.metadata.name}: ${p}`);
      for (const n of r?.result?.nodeNames ?? []) if (!snap.get(n)) f.add(cPre, `${pod.pod.metadata.name}: nodeNames names unknown node ${n}`);
      if (r?.status.code === 'Skip') skipFilter = true;
      else if (r?.status.code !== 'Success') continue;
    }
    const feasible: NodeInfo[] = [];
    if (filter && !skipFilter) {
      const verdicts = new Map<number, boolean>();
      for (const ni of all) {
        let s: Status;
        let again: Status;
        try {
          s = filter.filter(state, pod, ni);
          again = filter.filter(state, pod, ni);
        } catch (e) {
          f.add(cFilter, `${pod.pod.metadata.name} on ${ni.name}: threw ${(e as Error).message}`);
          continue;
        }
        const p = statusProblem(s, new Set(['Success', 'Error', 'Unschedulable', 'UnschedulableAndUnresolvable', 'Pending']));
        if (p) f.add(cFilter, `${pod.pod.metadata.name} on ${ni.name}: ${p}`);
        if (s.code !== again.code) f.add(cFilter, `${pod.pod.metadata.name} on ${ni.name}: ${s.code}, then ${again.code}`);
        verdicts.set(ni.index, s.code === 'Success');
        if (s.code === 'Success') feasible.push(ni);
      }
      if (isBatchFilter(filter)) {
        for (const cols of [undefined, columns]) {
          const pass = new Uint8Array(all.length + 1).fill(1);
          const blocked = all.length; // a lane no node uses: must stay as it is
          pass[blocked] = 0;
          let screened: boolean;
          try {
            screened = filter.filterBatch(state, pod, all, pass, cols);
          } catch (e) {
            f.add(cBatch, `${pod.pod.metadata.name}: threw ${(e as Error).message}`);
            continue;
          }
          if (typeof screened !== 'boolean') f.add(cBatch, `${pod.pod.metadata.name}: returned ${JSON.stringify(screened)}, not a boolean`);
          if (!screened) continue;
          if (pass[blocked] !== 0) f.add(cBatch, `${pod.pod.metadata.name}: set an entry that was 0 back to 1`);
          for (const ni of all) if ((pass[ni.index] === 1) !== verdicts.get(ni.index)) f.add(cBatch, `${pod.pod.metadata.name} on ${ni.name}${cols ? ' (columns)' : ''}: batch ${pass[ni.index]}, filter() ${verdicts.get(ni.index) ? 'Success' : 'rejects'}`);
        }
      }
    } else feasible.push(...all);
    if (feasible.length === 0) continue;
    let skipScore = false;
    if (preScore) {
      try {
        const s = preScore.preScore(state, pod, feasible);
        const p = statusProblem(s);
        if (p) f.add(cPreScore, `${pod.pod.metadata.name}: ${p}`);
        skipScore = s.code === 'Skip';
        if (s.code !== 'Success' && s.code !== 'Skip') continue;
      } catch (e) {
        f.add(cPreScore, `${pod.pod.metadata.name}: threw ${(e as Error).message}`);
        continue;
      }
    }
    if (skipScore) continue;
    if (column) {
      const plain = new Float64Array(all.length + 1).fill(Number.NaN);
      const viaColumns = new Float64Array(all.length + 1).fill(Number.NaN);
      try {
        const s1 = column.scoreColumn(state, pod, feasible, plain);
        const s2 = column.scoreColumn(state, pod, feasible, viaColumns, columns);
        for (const s of [s1, s2]) {
          const p = statusProblem(s);
          if (p) f.add(cScore, `${pod.pod.metadata.name}: ${p}`);
        }
      } catch (e) {
        f.add(cScore, `${pod.pod.metadata.name}: threw ${(e as Error).message}`);
        continue;
      }
      for (const ni of feasible) {
        const v = plain[ni.index]!;
        if (!Number.isInteger(v) && !(column.normalization === 'topologySpread' && v === -1)) f.add(cScore, `${pod.pod.metadata.name} on ${ni.name}: raw score ${v}`);
        if (column.normalization === 'none' && !(v >= 0 && v <= 100)) f.add(cScore, `${pod.pod.metadata.name} on ${ni.name}: ${v} outside 0..100 with normalization none`);
        if (v !== viaColumns[ni.index]) f.add(cScore, `${pod.pod.metadata.name} on ${ni.name}: ${v} without columns, ${viaColumns[ni.index]} with them`);
      }
    }
    if (nodeScore) {
      const list: { name: string; score: number }[] = [];
      try {
        for (const ni of feasible) {
          const r = nodeScore.score(state, pod, ni);
          const p = statusProblem(r.status);
          if (p) f.add(cScore, `${pod.pod.metadata.name} on ${ni.name}: ${p}`);
          list.push({ name: ni.name, score: r.score });
        }
        if (nodeScore.normalizeScore) nodeScore.normalizeScore(state, pod, list);
      } catch (e) {
        f.add(cScore, `${pod.pod.metadata.name}: threw ${(e as Error).message}`);
        continue;
      }
      for (const s of list) if (!Number.isFinite(s.score) || s.score < 0 || s.score > 100) f.add(cScore, `${pod.pod.metadata.name} on ${s.name}: score ${s.score} outside 0..100 after normalizing`);
    }
  }
  await t.test('Filter and Score', async (t) => {
    for (const c of [cPre, cFilter, cBatch, cPreScore, cScore]) f.report(t, c);
  });

  await t.test('Reserve, Permit, queueing', async (t) => {
    const pod = incoming[0]!;
    const node = all[0]!.name;
    if (typeof plugin.reserve === 'function') {
      const r = plugin as unknown as ReservePlugin;
      const s = await r.reserve(new CycleState(), pod, node);
      t.notOk(statusProblem(s), 'Reserve returns a valid Status');
      await t.resolves(Promise.resolve(r.unreserve(new CycleState(), pod, node)), 'Unreserve after Reserve does not fail');
      await t.resolves(Promise.resolve(r.unreserve(new CycleState(), pod, node)), 'a second Unreserve does not fail either (it must be idempotent)');
    }
    if (typeof plugin.permit === 'function') {
      const r = (plugin as unknown as PermitPlugin).permit(new CycleState(), pod, node);
      t.notOk(statusProblem(r.status), 'Permit returns a valid Status');
      if (r.status.code === 'Wait') t.ok((r.timeoutMs ?? 0) > 0, 'Wait comes with a positive timeout');
    }
    if (typeof plugin.eventsToRegister === 'function') {
      const events = (plugin as unknown as EnqueueExtensions).eventsToRegister();
      t.ok(Array.isArray(events), 'eventsToRegister returns a list');
      for (const e of events) {
        t.ok(RESOURCES.has(e.event.resource) && ACTIONS.has(e.event.action), `event ${e.event.resource}/${e.event.action} is one the queue knows`);
        if (e.hint) {
          const node0 = all[0]!.node;
          const hint = e.hint(pod.pod, e.event.resource === 'Node' ? node0 : undefined, e.event.resource === 'Node' ? node0 : pod.pod);
          t.ok(hint === 'Queue' || hint === 'QueueSkip', `the ${e.event.resource}/${e.event.action} hint answers Queue or QueueSkip`);
        }
      }
    }
    t.pass(`checked ${checks.length} Filter/Score properties on ${incoming.length} pods × ${all.length} nodes`);
  });
}

export type { PodInfo };
